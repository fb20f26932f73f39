//! `map.png`: the SVG map rasterised with resvg (pure Rust), for chat tools and
//! issue trackers that show a PNG inline but not an SVG.
//!
//! resvg is built without its `text` feature: that feature brings a text shaper
//! and font discovery and roughly doubles resvg's build time, for labels that are
//! a few words of Latin text. Instead every `<text>` element of the map becomes a
//! `<path>` of glyph outlines here, laid out glyph by glyph with the advances of a
//! bundled font (no shaping, no kerning: enough for labels) before resvg sees the
//! document. The font is `DejaVu Sans`, regular and bold, cut down to Latin-1 and a
//! few symbols (`fonts/`, Bitstream Vera licence, which allows bundling and
//! modified copies under another name than "Bitstream" or "Vera": see
//! `fonts/LICENSE-DejaVu.txt`). No system font is ever looked up, so the PNG is
//! the same on every machine.

use std::fmt::Write as _;

use resvg::tiny_skia;
use resvg::usvg::{self, roxmltree};

use crate::error::{Error, Result};

/// `DejaVu Sans`, regular, subset (see the module doc).
const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");
/// `DejaVu Sans`, bold, subset.
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold-subset.ttf");
/// Most strips the picture is rendered in, one per core.
const MAX_STRIPS: usize = 8;
/// Font size of text that names none (the SVG's default).
const DEFAULT_SIZE: f64 = 16.0;

/// Rasterises `svg` (a document as `map::render_svg` writes it) at `scale` times
/// its size and encodes it as PNG.
///
/// # Errors
/// [`Error::Render`] when the SVG cannot be parsed, is empty or too large for a
/// pixmap, or the PNG cannot be encoded.
pub fn render_png(svg: &str, scale: f32) -> Result<Vec<u8>> {
    let outlined = outline_text(svg)?;
    let tree = usvg::Tree::from_str(&outlined, &usvg::Options::default()).map_err(render_err)?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .ok_or_else(|| Error::Render {
            message: format!("cannot scale the map by {scale}"),
        })?;
    let strips = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, MAX_STRIPS);
    rasterise(&tree, size, scale, strips)?
        .encode_png()
        .map_err(render_err)
}

/// `tree` drawn at `scale` times into a pixmap of `size`, in `strips` horizontal
/// strips on as many threads: filling the cells and stroking the roads is most of
/// the time, and everything outside a strip is clipped away by the rasteriser, so
/// the strips join without a seam (the test compares with one strip: only some
/// anti-aliased pixels along long edges cut by a border differ).
fn rasterise(
    tree: &usvg::Tree,
    size: tiny_skia::IntSize,
    scale: f32,
    strips: usize,
) -> Result<tiny_skia::Pixmap> {
    let (width, height) = (size.width(), size.height());
    let no_pixmap = |w: u32, h: u32| Error::Render {
        message: format!("no pixmap of {w}x{h} pixels"),
    };
    let rows = height
        .div_ceil(u32::try_from(strips.max(1)).unwrap_or(1))
        .max(1);
    let rendered: Vec<Option<tiny_skia::Pixmap>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..height)
            .step_by(rows as usize)
            .map(|top| {
                let h = rows.min(height - top);
                scope.spawn(move || {
                    let mut strip = tiny_skia::Pixmap::new(width, h)?;
                    let at = tiny_skia::Transform::from_scale(scale, scale)
                        .post_translate(0.0, -(top as f32));
                    resvg::render(tree, at, &mut strip.as_mut());
                    Some(strip)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or_else(|| no_pixmap(width, height))?;
    let strip_bytes = rows as usize * width as usize * 4;
    for (dest, strip) in pixmap.data_mut().chunks_mut(strip_bytes).zip(rendered) {
        dest.copy_from_slice(strip.ok_or_else(|| no_pixmap(width, rows))?.data());
    }
    Ok(pixmap)
}

fn render_err(e: impl std::fmt::Display) -> Error {
    Error::Render {
        message: e.to_string(),
    }
}

/// `svg` with every `<text>` element replaced by a `<path>` of its glyphs, at the
/// same place, size, weight, anchor and fill (inherited from ancestors as SVG does).
///
/// # Errors
/// [`Error::Render`] when `svg` is not well-formed XML or a font does not load.
pub fn outline_text(svg: &str) -> Result<String> {
    let doc = roxmltree::Document::parse(svg).map_err(render_err)?;
    let regular = ttf_parser::Face::parse(REGULAR, 0).map_err(render_err)?;
    let bold = ttf_parser::Face::parse(BOLD, 0).map_err(render_err)?;
    let mut out = String::with_capacity(svg.len());
    let mut copied = 0;
    for node in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let range = node.range();
        if range.start < copied {
            continue; // inside a text element already replaced
        }
        out.push_str(&svg[copied..range.start]);
        copied = range.end;
        let attr = |name: &str| node.ancestors().find_map(|a| a.attribute(name));
        let number = |name: &str| attr(name).and_then(|v| v.trim().parse::<f64>().ok());
        let size = number("font-size").unwrap_or(DEFAULT_SIZE);
        let face = if attr("font-weight").is_some_and(|w| w == "bold" || w == "700") {
            &bold
        } else {
            &regular
        };
        let text: String = node
            .descendants()
            .filter_map(|n| if n.is_text() { n.text() } else { None })
            .collect();
        let glyphs = Glyphs::lay_out(face, &text, size);
        let x = number("x").unwrap_or(0.0)
            - match attr("text-anchor") {
                Some("middle") => glyphs.width / 2.0,
                Some("end") => glyphs.width,
                _ => 0.0,
            };
        let y = number("y").unwrap_or(0.0);
        let fill = attr("fill").unwrap_or("black");
        let mut d = String::new();
        glyphs.outline(face, x, y, &mut d);
        let _ = write!(out, r#"<path d="{d}" fill="{fill}"/>"#);
    }
    out.push_str(&svg[copied..]);
    Ok(out)
}

/// A line of text laid out: each glyph with its pen position, in pixels.
struct Glyphs {
    pens: Vec<(ttf_parser::GlyphId, f64)>,
    scale: f64,
    width: f64,
}

impl Glyphs {
    fn lay_out(face: &ttf_parser::Face, text: &str, size: f64) -> Self {
        let scale = size / f64::from(face.units_per_em());
        let mut pen = 0.0;
        let mut pens = Vec::new();
        for c in text.chars() {
            // A character outside the subset is drawn as the font's missing glyph.
            let id = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
            pens.push((id, pen));
            pen += f64::from(face.glyph_hor_advance(id).unwrap_or(0)) * scale;
        }
        Self {
            pens,
            scale,
            width: pen,
        }
    }

    /// Appends the outlines with the baseline's left end at `(x, y)`.
    fn outline(&self, face: &ttf_parser::Face, x: f64, y: f64, d: &mut String) {
        for &(id, pen) in &self.pens {
            let mut pen_out = PathOut {
                d,
                x: x + pen,
                y,
                scale: self.scale,
            };
            face.outline_glyph(id, &mut pen_out);
        }
    }
}

/// Writes glyph outlines (font units, y up) as SVG path data (pixels, y down).
struct PathOut<'a> {
    d: &'a mut String,
    x: f64,
    y: f64,
    scale: f64,
}

impl PathOut<'_> {
    fn point(&mut self, x: f32, y: f32) {
        let _ = write!(
            self.d,
            "{:.2} {:.2} ",
            self.x + f64::from(x) * self.scale,
            self.y - f64::from(y) * self.scale
        );
    }
}

impl ttf_parser::OutlineBuilder for PathOut<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.d.push('M');
        self.point(x, y);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        self.d.push('L');
        self.point(x, y);
    }

    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.d.push('Q');
        self.point(x1, y1);
        self.point(x, y);
    }

    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.d.push('C');
        self.point(x1, y1);
        self.point(x2, y2);
        self.point(x, y);
    }

    fn close(&mut self) {
        self.d.push('Z');
    }
}

#[cfg(test)]
mod tests {
    use super::{outline_text, rasterise, render_png};
    use resvg::tiny_skia::Pixmap;
    use resvg::usvg;

    #[test]
    fn text_becomes_glyph_paths_at_its_anchor() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40" font-size="13"><g font-weight="bold"><text x="50" y="20" text-anchor="middle">A &lt; 1</text></g><text x="0" y="30">-</text></svg>"#;
        let out = outline_text(svg).unwrap();
        assert!(!out.contains("<text"), "{out}");
        assert_eq!(out.matches("<path ").count(), 2, "{out}");
        // a centred label spreads on both sides of its anchor
        let xs: Vec<f64> = out
            .split("<path d=\"")
            .nth(1)
            .unwrap()
            .split(['M', 'L', 'Q', 'C', 'Z'])
            .filter_map(|p| p.split_whitespace().next()?.parse().ok())
            .collect();
        let (lo, hi) = xs
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(
            lo < 40.0 && hi > 60.0 && lo > 10.0 && hi < 90.0,
            "{lo} {hi}"
        );
    }

    /// Strips of any height give the picture of one pass: shapes, strokes and
    /// edges crossing the strip borders, a clipped `<use>`, opacity. A strip drawn
    /// at the wrong height would move whole shapes and differ in most pixels.
    #[test]
    fn strips_join_into_the_same_picture_as_one_pass() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="97" height="61"><rect width="100%" height="100%" fill="white"/><defs><clipPath id="c"><rect width="60" height="40"/></clipPath><path id="r" clip-path="url(#c)" d="M3 3L90 57M5 50L70 2" stroke="#888" stroke-width="1.3" fill="none"/></defs><use href="#r" x="4" y="2"/><g fill-opacity="0.72"><path fill="#3b528b" d="M10 10l7.3 4.2 0 8.4-7.3 4.2-7.3-4.2 0-8.4z M40 17.5l9 5 0 10-9 5-9-5 0-10z"/></g><circle cx="70" cy="31" r="13.7" fill="#fde725" stroke="black" stroke-width="0.7"/></svg>"##;
        let tree = usvg::Tree::from_str(svg, &usvg::Options::default()).unwrap();
        let size = tree.size().to_int_size().scale_by(1.7).unwrap();
        let one = rasterise(&tree, size, 1.7, 1).unwrap();
        assert!(
            one.pixels().iter().any(|p| p.red() < 200),
            "something is drawn"
        );
        for strips in [2, 3, 7] {
            let joined = rasterise(&tree, size, 1.7, strips).unwrap();
            assert_eq!(
                (joined.width(), joined.height()),
                (one.width(), one.height())
            );
            // A long edge clipped at a strip border is set up from its clipped
            // ends, so a few anti-aliased pixels along it differ by some levels.
            let differ = joined
                .pixels()
                .iter()
                .zip(one.pixels())
                .filter(|(a, b)| a != b)
                .count();
            assert!(
                differ * 100 < one.pixels().len(),
                "{strips} strips: {differ} of {} pixels differ",
                one.pixels().len()
            );
        }
    }

    #[test]
    fn the_png_decodes_at_the_svg_size_times_the_scale() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="120" height="50"><rect width="100%" height="100%" fill="white"/><rect x="10" y="10" width="20" height="20" fill="#ff0000"/><text x="40" y="30" font-size="13">1 km</text></svg>"##;
        let png = render_png(svg, 2.0).unwrap();
        let img = Pixmap::decode_png(&png).unwrap();
        assert_eq!((img.width(), img.height()), (240, 100));
        let px = |x: u32, y: u32| img.pixel(x, y).unwrap();
        assert_eq!(
            (px(40, 40).red(), px(40, 40).green()),
            (255, 0),
            "the red square"
        );
        assert_eq!(px(230, 90).green(), 255, "white background");
        // the label is drawn: some dark pixels right of the square
        let dark = (80..200)
            .flat_map(|x| (30..70).map(move |y| (x, y)))
            .filter(|&(x, y)| px(x, y).green() < 100)
            .count();
        assert!(dark > 50, "{dark} dark pixels where the text is");
        assert!(render_png("<svg", 1.0).is_err());
    }
}

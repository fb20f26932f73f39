//! `map.svg`: the cells drawn three times side by side, coloured by status, by
//! median travel time to the other cells and by the share of the city reached
//! within the time at which the median cell reaches half the city, each with its legend. Written by hand (no
//! plotting dependency): hexagon outlines come from `h3o`, projected
//! equirectangularly with the longitude scaled by the cosine of the mid latitude,
//! which is close enough at city scale for a broken area to stand out. Under the
//! cells, when the graph is at hand, the roads ([`crate::underlay`]), the cells
//! then a little transparent; on each panel a scale bar ([`crate::scalebar`]).
//! `map.png` is this document rasterised ([`crate::png`]).

use std::fmt::Write as _;

use h3o::CellIndex;
use hexmatrix_contract::CellStatus;

use crate::origins::CellInfo;
use crate::scalebar::ScaleBar;
use crate::scan::EARTH_RADIUS_M;
use crate::underlay::Roads;

/// Width of one panel in pixels.
const PANEL_W: f64 = 560.0;
/// Largest panel height in pixels (tall areas are scaled down to fit).
const PANEL_MAX_H: f64 = 700.0;
/// Space around and between panels, and for the title.
const MARGIN: f64 = 20.0;
const TITLE_H: f64 = 40.0;
const LEGEND_H: f64 = 90.0;

/// Status colours: ok, no road, unroutable, and "ok but reaches no other cell".
const OK: &str = "#4c9a2a";
const NO_ROAD: &str = "#c8c8c8";
const UNROUTABLE: &str = "#d62728";
const NO_ROUTE: &str = "#e377c2";
/// Stops of the travel-time ramp (viridis), fast to slow.
const RAMP: [(u8, u8, u8); 5] = [
    (0x44, 0x01, 0x54),
    (0x3b, 0x52, 0x8b),
    (0x21, 0x91, 0x8c),
    (0x5e, 0xc9, 0x62),
    (0xfd, 0xe7, 0x25),
];

/// Renders the map of `cells` as an SVG document. `title` goes on top.
#[cfg(test)]
#[must_use]
pub fn render_svg(cells: &[CellInfo], title: &str) -> String {
    render_svg_with(cells, title, None, 30).0
}

/// Renders the map of `cells` as an SVG document, over `roads` when given (see
/// [`crate::underlay`]), with a scale bar on each panel. `title` goes on top;
/// `reach_min` is the threshold of the cells' `reach_share` (third panel).
/// Also returns how many road classes the scale allowed (0 without roads).
#[must_use]
pub fn render_svg_with(
    cells: &[CellInfo],
    title: &str,
    roads: Option<&Roads>,
    reach_min: u32,
) -> (String, usize) {
    let shapes: Vec<(&CellInfo, Vec<(f64, f64)>)> = cells
        .iter()
        .filter_map(|c| {
            let idx = CellIndex::try_from(c.cell).ok()?;
            let ring = idx.boundary().iter().map(|p| (p.lng(), p.lat())).collect();
            Some((c, ring))
        })
        .collect();
    let proj = Projection::fit(shapes.iter().flat_map(|(_, r)| r.iter().copied()));
    let width = 4.0 * MARGIN + 3.0 * PANEL_W;
    let height = TITLE_H + proj.height + LEGEND_H + 2.0 * MARGIN;
    let ranks = Ranks::of(cells);
    let outline = cell_outline(&shapes, &proj);
    // Each cell with its hexagon as path data: the same in every panel.
    let drawn: Vec<(&CellInfo, String)> = shapes
        .iter()
        .map(|(cell, ring)| (*cell, hexagon_path(ring, &proj)))
        .collect();
    let bar = ScaleBar::fit(proj.metres_per_px(), PANEL_W);

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{MARGIN}" y="26" font-size="16" font-weight="bold">{}</text>"#,
        escape(title)
    );
    let classes = roads.map_or(0, |roads| underlay_defs(&mut svg, roads, &proj));
    let shared_grey = no_road_defs(&mut svg, &drawn);
    let reach_heading = format!("share of the ok cells reached within {reach_min} min");
    for (panel, heading) in [
        (0, "cell status"),
        (1, "median travel time to the other cells (colour by rank)"),
        (2, reach_heading.as_str()),
    ] {
        let x0 = MARGIN + f64::from(panel) * (PANEL_W + MARGIN);
        let y0 = TITLE_H + MARGIN;
        let _ = writeln!(
            svg,
            r#"<text x="{x0}" y="{:.0}" font-weight="bold">{heading}</text>"#,
            y0 - 6.0
        );
        if roads.is_some() {
            let _ = writeln!(svg, r##"<use href="#{ROADS_ID}" x="{x0}" y="{y0}"/>"##);
        }
        let _ = writeln!(
            svg,
            r#"<g transform="translate({x0} {y0})"{outline}{}>"#,
            if roads.is_some() {
                CELLS_OVER_ROADS
            } else {
                ""
            }
        );
        if shared_grey {
            let _ = writeln!(svg, r##"<use href="#{NO_ROAD_ID}"/>"##);
        }
        for (fill, d) in panel_paths(&drawn, |cell| match panel {
            0 => status_colour(cell.status).to_owned(),
            1 => time_colour(cell, &ranks),
            _ => reach_colour(cell),
        }) {
            let _ = writeln!(svg, r#"<path class="cells" fill="{fill}" d="{d}"/>"#);
        }
        let _ = writeln!(svg, "</g>");
        let ly = y0 + proj.height + 18.0;
        if let Some(bar) = &bar {
            svg.push_str(&bar.svg(x0 + PANEL_W, ly + 6.0));
        }
        match panel {
            0 => status_legend(&mut svg, cells, x0, ly),
            1 => time_legend(&mut svg, x0, ly, &ranks),
            _ => reach_legend(&mut svg, x0, ly),
        }
    }
    svg.push_str("</svg>\n");
    (svg, classes)
}

/// Hexagon edges shorter than this many pixels get no white outline: at whole
/// Malta's scale a resolution-10 cell is about a pixel wide, and outlines would
/// wash every colour out to a pale mesh.
const OUTLINE_MIN_EDGE_PX: f64 = 4.0;

/// The outline attributes of the cells' group: thin white edges when the
/// hexagons are large enough on screen to show them, none otherwise.
fn cell_outline(shapes: &[(&CellInfo, Vec<(f64, f64)>)], proj: &Projection) -> &'static str {
    let edge_px = shapes.first().and_then(|(_, ring)| {
        let (a, b) = (ring.first()?, ring.get(1)?);
        let (p, q) = (proj.point(a.0, a.1), proj.point(b.0, b.1));
        Some((q.0 - p.0).hypot(q.1 - p.1))
    });
    if edge_px.is_some_and(|e| e >= OUTLINE_MIN_EDGE_PX) {
        r#" stroke="white" stroke-width="0.3""#
    } else {
        ""
    }
}

/// Id of the `no_road` cells, defined once and drawn in every panel: grey in all
/// three, and at resolution 10 over a whole island most of the cells (62,000 of
/// 72,700 on Malta), which three copies made a 22 MB document.
const NO_ROAD_ID: &str = "no-road-cells";

/// The outline of one hexagon in panel coordinates, as SVG path data: an absolute
/// move to the first corner, then relative lines. Corners are rounded to a tenth
/// of a pixel first and the steps taken between the rounded corners, so that the
/// short relative form adds no drift.
fn hexagon_path(ring: &[(f64, f64)], proj: &Projection) -> String {
    let tenths = |v: f64| (v * 10.0).round() as i64;
    let mut d = String::new();
    let mut last = (0, 0);
    for (i, &(lon, lat)) in ring.iter().enumerate() {
        let (x, y) = proj.point(lon, lat);
        let here = (tenths(x), tenths(y));
        if i == 0 {
            let _ = write!(d, "M{} {}", Tenths(here.0), Tenths(here.1));
        } else {
            let (dx, dy) = (here.0 - last.0, here.1 - last.1);
            let _ = write!(
                d,
                "{}{}{}{}",
                if i == 1 { "l" } else { " " },
                Tenths(dx),
                if dy < 0 { "" } else { " " },
                Tenths(dy)
            );
        }
        last = here;
    }
    d.push('z');
    d
}

/// A length in tenths of a pixel, written as SVG reads it: "12.3", "-0.4", "7".
struct Tenths(i64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (sign, abs) = (if self.0 < 0 { "-" } else { "" }, self.0.unsigned_abs());
        match abs % 10 {
            0 => write!(f, "{sign}{}", abs / 10),
            frac => write!(f, "{sign}{}.{frac}", abs / 10),
        }
    }
}

/// Defines the `no_road` cells once (see [`NO_ROAD_ID`]); false when there are none.
fn no_road_defs(svg: &mut String, drawn: &[(&CellInfo, String)]) -> bool {
    let d: String = drawn
        .iter()
        .filter(|(cell, _)| cell.status == Some(CellStatus::NoRoad))
        .map(|(_, hex)| hex.as_str())
        .collect();
    if d.is_empty() {
        return false;
    }
    let _ = writeln!(
        svg,
        r#"<defs><path id="{NO_ROAD_ID}" class="cells" fill="{NO_ROAD}" d="{d}"/></defs>"#
    );
    true
}

/// The cells of one panel other than `no_road` (drawn from [`NO_ROAD_ID`]), one
/// path per fill colour, in the order the colours first appear: a path element
/// per cell cost more bytes than the hexagon itself.
fn panel_paths(
    drawn: &[(&CellInfo, String)],
    fill: impl Fn(&CellInfo) -> String,
) -> Vec<(String, String)> {
    let mut paths: Vec<(String, String)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (cell, hex) in drawn {
        if cell.status == Some(CellStatus::NoRoad) {
            continue;
        }
        let colour = fill(cell);
        let slot = *index.entry(colour.clone()).or_insert_with(|| {
            paths.push((colour, String::new()));
            paths.len() - 1
        });
        paths[slot].1.push_str(hex);
    }
    paths
}

/// Id of the road layer, defined once and drawn in every panel.
const ROADS_ID: &str = "roads";
/// Id of the clip path that keeps the roads inside a panel.
const PANEL_CLIP_ID: &str = "panel";
/// Cell attributes when roads lie under them: see-through enough for the roads
/// to show, opaque enough for the colours to read.
const CELLS_OVER_ROADS: &str = r#" fill-opacity="0.72""#;

/// The road layer, in panel coordinates, defined once (`<defs>`) and placed in
/// each panel by a `<use>`: the roads of whole Malta are then written once.
/// Returns how many classes the scale allowed.
fn underlay_defs(svg: &mut String, roads: &Roads, proj: &Projection) -> usize {
    let classes = roads.classes_drawn(PANEL_W, proj.height, |lon, lat| proj.point(lon, lat));
    let _ = writeln!(
        svg,
        r#"<defs><clipPath id="{PANEL_CLIP_ID}"><rect width="{PANEL_W}" height="{:.1}"/></clipPath>"#,
        proj.height
    );
    svg.push_str(&roads.svg(
        ROADS_ID,
        PANEL_CLIP_ID,
        classes,
        PANEL_W,
        proj.height,
        |lon, lat| proj.point(lon, lat),
    ));
    svg.push_str("</defs>\n");
    classes
}

struct Projection {
    min_lon: f64,
    max_lat: f64,
    kx: f64,
    scale: f64,
    height: f64,
}

impl Projection {
    fn fit(points: impl Iterator<Item = (f64, f64)>) -> Self {
        let (mut a, mut b, mut c, mut d) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (lon, lat) in points {
            (a, b, c, d) = (a.min(lon), b.min(lat), c.max(lon), d.max(lat));
        }
        if a > c {
            (a, b, c, d) = (0.0, 0.0, 1.0, 1.0);
        }
        let kx = f64::midpoint(b, d).to_radians().cos().max(0.01);
        let span_x = ((c - a) * kx).max(1e-9);
        let span_y = (d - b).max(1e-9);
        let scale = (PANEL_W / span_x).min(PANEL_MAX_H / span_y);
        Self {
            min_lon: a,
            max_lat: d,
            kx,
            scale,
            height: span_y * scale,
        }
    }

    /// Ground metres a pixel stands for (the same along both axes).
    fn metres_per_px(&self) -> f64 {
        EARTH_RADIUS_M.to_radians() / self.scale
    }

    fn point(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.min_lon) * self.kx * self.scale,
            (self.max_lat - lat) * self.scale,
        )
    }
}

fn status_colour(status: Option<CellStatus>) -> &'static str {
    match status {
        Some(CellStatus::Ok) => OK,
        Some(CellStatus::NoRoad) => NO_ROAD,
        Some(CellStatus::Unroutable) | None => UNROUTABLE,
    }
}

/// The sorted medians of the map. Cells are coloured by the rank of their median,
/// not its value: one slow outlier (an island behind a ferry) would otherwise
/// squeeze every other cell into one colour.
struct Ranks(Vec<f64>);

impl Ranks {
    fn of(cells: &[CellInfo]) -> Self {
        let mut m: Vec<f64> = cells.iter().filter_map(|c| c.median_s).collect();
        m.sort_by(f64::total_cmp);
        Self(m)
    }

    /// Position of `value` in 0..=1 among the medians.
    fn position(&self, value: f64) -> f64 {
        let below = self.0.partition_point(|&m| m < value);
        below as f64 / (self.0.len().max(2) - 1) as f64
    }

    /// The median at position `t` in 0..=1, if any.
    fn at(&self, t: f64) -> Option<f64> {
        let last = self.0.len().checked_sub(1)?;
        self.0.get((t * last as f64).round() as usize).copied()
    }
}

fn time_colour(cell: &CellInfo, ranks: &Ranks) -> String {
    match (cell.status, cell.median_s) {
        (Some(CellStatus::Ok), Some(m)) => ramp(ranks.position(m).clamp(0.0, 1.0)),
        (Some(CellStatus::Ok), None) => NO_ROUTE.to_owned(),
        _ => NO_ROAD.to_owned(),
    }
}

/// Colour at `t` in 0..=1 along [`RAMP`].
fn ramp(t: f64) -> String {
    let pos = t * (RAMP.len() - 1) as f64;
    let stop = (pos.floor() as usize).min(RAMP.len() - 2);
    let frac = pos - stop as f64;
    let mix = |from: u8, to: u8| {
        (f64::from(from) + (f64::from(to) - f64::from(from)) * frac).round() as u8
    };
    let (a, b) = (RAMP[stop], RAMP[stop + 1]);
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

fn swatch(svg: &mut String, x: f64, y: f64, fill: &str, label: &str) {
    let _ = writeln!(
        svg,
        r#"<rect x="{x:.0}" y="{:.0}" width="14" height="14" fill="{fill}"/><text x="{:.0}" y="{:.0}">{}</text>"#,
        y - 11.0,
        x + 20.0,
        y,
        escape(label)
    );
}

fn status_legend(svg: &mut String, cells: &[CellInfo], x: f64, y: f64) {
    let n = |s: CellStatus| cells.iter().filter(|c| c.status == Some(s)).count();
    let (ok, no_road) = (n(CellStatus::Ok), n(CellStatus::NoRoad));
    let other = cells.len() - ok - no_road;
    swatch(svg, x, y, OK, &format!("{} ({ok})", CellStatus::Ok));
    swatch(
        svg,
        x,
        y + 22.0,
        NO_ROAD,
        &format!("no road within the snap radius ({no_road})"),
    );
    swatch(
        svg,
        x,
        y + 44.0,
        UNROUTABLE,
        &format!("unroutable: road outside the main network ({other})"),
    );
}

/// The colour ramp as a gradient `id` and a bar `bar_w` wide filled with it, its top
/// 11 px above `y`: the scale of a legend, ticks drawn by the caller.
fn ramp_bar(svg: &mut String, id: &str, x: f64, y: f64, bar_w: f64) {
    let _ = writeln!(
        svg,
        r#"<defs><linearGradient id="{id}">{}</linearGradient></defs>"#,
        (0..RAMP.len()).fold(String::new(), |mut stops, i| {
            let t = i as f64 / (RAMP.len() - 1) as f64;
            let _ = write!(stops, r#"<stop offset="{t:.2}" stop-color="{}"/>"#, ramp(t));
            stops
        })
    );
    let _ = writeln!(
        svg,
        r#"<rect x="{x:.0}" y="{:.0}" width="{bar_w:.0}" height="14" fill="url(#{id})"/>"#,
        y - 11.0
    );
}

fn time_legend(svg: &mut String, x: f64, y: f64, ranks: &Ranks) {
    let bar_w = 400.0;
    ramp_bar(svg, "ramp", x, y, bar_w);
    for label in time_ticks(ranks, bar_w) {
        let tick_x = x + label.at;
        let _ = writeln!(
            svg,
            r#"<line x1="{tick_x:.1}" y1="{:.0}" x2="{tick_x:.1}" y2="{:.0}" stroke="black" stroke-width="1"/><text x="{:.1}" y="{:.0}" text-anchor="middle">{}</text>"#,
            y + 3.0,
            y + 7.0,
            x + label.left + label.width / 2.0,
            y + 20.0,
            label.text
        );
    }
    swatch(svg, x, y + 44.0, NO_ROUTE, "ok but reaches no other cell");
    swatch(
        svg,
        x + 280.0,
        y + 44.0,
        NO_ROAD,
        "not routed (no_road, unroutable)",
    );
}

/// Rank positions of the travel-time scale, in the order they are placed: both
/// ends first, then the middle, then the quartiles, each kept only if it fits.
const TICK_ORDER: [f64; 5] = [0.0, 1.0, 0.5, 0.25, 0.75];
/// Width of one character of the legend's 13 px sans-serif text, a little over
/// the average digit (0.556 em), so that an estimate never undershoots.
const CHAR_W: f64 = 7.5;
/// Least space between two labels of the scale.
const LABEL_GAP: f64 = 10.0;

/// One label of the travel-time scale: where its tick is and where its text lies,
/// both in pixels from the bar's left end.
#[derive(Debug, Clone, PartialEq)]
struct TickLabel {
    at: f64,
    left: f64,
    width: f64,
    text: String,
}

/// The labels of a `bar_w`-pixel travel-time scale: the values at the ranks of
/// [`TICK_ORDER`], each centred on its tick but kept inside the bar, and dropped
/// when it would come within [`LABEL_GAP`] of a label already placed (on whole
/// Malta "20:57 min" and "100:30 min" used to overlap). Sorted left to right.
fn time_ticks(ranks: &Ranks, bar_w: f64) -> Vec<TickLabel> {
    let mut placed: Vec<TickLabel> = Vec::new();
    for t in TICK_ORDER {
        let Some(m) = ranks.at(t) else { continue };
        let text = minutes(m);
        let width = text.chars().count() as f64 * CHAR_W;
        let at = t * bar_w;
        let left = (at - width / 2.0).clamp(0.0, (bar_w - width).max(0.0));
        let clear = placed
            .iter()
            .all(|p| left + width + LABEL_GAP <= p.left || p.left + p.width + LABEL_GAP <= left);
        if clear && !placed.iter().any(|p| p.text == text) {
            placed.push(TickLabel {
                at,
                left,
                width,
                text,
            });
        }
    }
    placed.sort_by(|a, b| a.at.total_cmp(&b.at));
    placed
}

/// Seconds as "m:ss min".
fn minutes(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02} min", s / 60, s % 60)
}

/// Colour of a cell in the third panel: its share of the city reached within the
/// panel's threshold on [`RAMP`], by value (a share is already on a 0..1 scale that
/// reads the same in every city), reversed so that, as in the second panel, the
/// dark end is the well-connected one: 100 % dark, 0 % bright.
fn reach_colour(cell: &CellInfo) -> String {
    match (cell.status, cell.reach_share) {
        (Some(CellStatus::Ok), Some(share)) => ramp(1.0 - share.clamp(0.0, 1.0)),
        (Some(CellStatus::Ok), None) => NO_ROUTE.to_owned(),
        _ => NO_ROAD.to_owned(),
    }
}

/// The legend of the third panel: the ramp from 100 % (dark, left) to 0 % with a
/// tick every 25 %, dark on the left like the travel-time scale's shortest times.
fn reach_legend(svg: &mut String, x: f64, y: f64) {
    let bar_w = 400.0;
    ramp_bar(svg, "ramp-share", x, y, bar_w);
    for pct in [100u32, 75, 50, 25, 0] {
        let tick_x = x + f64::from(100 - pct) / 100.0 * bar_w;
        // The end labels are anchored inwards so that they stay under the bar.
        let anchor = match pct {
            100 => "start",
            0 => "end",
            _ => "middle",
        };
        let _ = writeln!(
            svg,
            r#"<line x1="{tick_x:.1}" y1="{:.0}" x2="{tick_x:.1}" y2="{:.0}" stroke="black" stroke-width="1"/><text x="{tick_x:.1}" y="{:.0}" text-anchor="{anchor}">{pct} %</text>"#,
            y + 3.0,
            y + 7.0,
            y + 20.0,
        );
    }
    swatch(svg, x, y + 44.0, NO_ROUTE, "ok but no figure");
    swatch(
        svg,
        x + 280.0,
        y + 44.0,
        NO_ROAD,
        "not routed (no_road, unroutable)",
    );
}

/// How many hexagons `svg` draws in all: those of the panels' paths, and those
/// of the shared `no_road` path once per panel that uses it.
#[cfg(test)]
pub(crate) fn hexagons_drawn(svg: &str) -> usize {
    let uses = svg
        .matches(&format!(r##"<use href="#{NO_ROAD_ID}""##))
        .count();
    svg.split("<path ")
        .skip(1)
        .map(|p| p.split_once("/>").map_or(p, |(element, _)| element))
        .map(|p| {
            let corners = p.matches('M').count();
            if p.starts_with(&format!(r#"id="{NO_ROAD_ID}""#)) {
                corners * uses
            } else if p.starts_with(r#"class="cells""#) {
                corners
            } else {
                0
            }
        })
        .sum()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::{
        CellInfo, LABEL_GAP, Ranks, minutes, ramp, reach_colour, reach_legend, render_svg,
        time_colour, time_ticks,
    };
    use hexmatrix_contract::CellStatus;

    #[test]
    fn colour_follows_the_rank_so_an_outlier_does_not_flatten_the_rest() {
        let cell = |m: f64| CellInfo {
            cell: 0,
            status: Some(CellStatus::Ok),
            lat: 0.0,
            lon: 0.0,
            median_s: Some(m),
            reach_share: None,
        };
        let cells: Vec<CellInfo> = [3600.0, 60.0, 180.0, 120.0].map(cell).into();
        let r = Ranks::of(&cells);
        let pos: Vec<f64> = [60.0, 120.0, 180.0, 3600.0].map(|m| r.position(m)).into();
        assert_eq!(pos, [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
        assert_eq!(
            (r.at(0.0), r.at(0.5), r.at(1.0)),
            (Some(60.0), Some(180.0), Some(3600.0))
        );
        assert_eq!(Ranks::of(&[]).at(0.5), None);
    }

    fn ok_cell(m: f64) -> CellInfo {
        CellInfo {
            cell: 0,
            status: Some(CellStatus::Ok),
            lat: 0.0,
            lon: 0.0,
            median_s: Some(m),
            reach_share: None,
        }
    }

    /// Issue 14: on whole Malta the labels "20:57 min" and "100:30 min" overlapped.
    #[test]
    fn scale_labels_never_overlap_and_keep_both_ends() {
        let malta: Vec<CellInfo> = [300.0, 600.0, 900.0, 1257.0, 6030.0].map(ok_cell).into();
        let spread: Vec<CellInfo> = (0..200).map(|i| ok_cell(f64::from(i) * 30.0)).collect();
        let same: Vec<CellInfo> = [600.0; 5].map(ok_cell).into();
        let long: Vec<CellInfo> = [59_000.0, 59_100.0, 59_990.0, 60_000.0, 99_999.0]
            .map(ok_cell)
            .into();
        for (cells, bar_w) in [
            (malta, 400.0),
            (spread, 400.0),
            (same, 400.0),
            (long, 120.0),
        ] {
            let labels = time_ticks(&Ranks::of(&cells), bar_w);
            for pair in labels.windows(2) {
                assert!(
                    pair[0].left + pair[0].width + LABEL_GAP <= pair[1].left,
                    "{pair:?}"
                );
            }
            for l in &labels {
                assert!(
                    l.left >= 0.0 && (l.left + l.width <= bar_w || l.left == 0.0),
                    "{l:?}"
                );
            }
            assert!(labels[0].at.abs() < f64::EPSILON, "{labels:?}");
        }
        let labels = time_ticks(
            &Ranks::of(&[300.0, 600.0, 900.0, 1257.0, 6030.0].map(ok_cell)),
            400.0,
        );
        let texts: Vec<&str> = labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts.first(), Some(&"5:00 min"));
        assert_eq!(texts.last(), Some(&"100:30 min"), "the slowest end is kept");
        assert!(
            !texts.contains(&"20:57 min"),
            "{texts:?}: it collides with the end"
        );
        assert_eq!(
            time_ticks(&Ranks::of(&[600.0; 5].map(ok_cell)), 400.0).len(),
            1
        );
    }

    #[test]
    fn ramp_ends_are_the_first_and_last_stops() {
        assert_eq!(ramp(0.0), "#440154");
        assert_eq!(ramp(1.0), "#fde725");
        assert_eq!(minutes(125.4), "2:05 min");
    }

    #[test]
    fn the_best_connected_cells_are_dark_in_both_figure_panels() {
        let cell = |median_s: f64, share: f64| CellInfo {
            cell: 0,
            status: Some(CellStatus::Ok),
            lat: 0.0,
            lon: 0.0,
            median_s: Some(median_s),
            reach_share: Some(share),
        };
        let (best, worst) = (cell(60.0, 1.0), cell(900.0, 0.0));
        let ranks = Ranks::of(&[best.clone(), worst.clone()]);
        assert_eq!(time_colour(&best, &ranks), "#440154");
        assert_eq!(reach_colour(&best), "#440154");
        assert_eq!(time_colour(&worst, &ranks), "#fde725");
        assert_eq!(reach_colour(&worst), "#fde725");
        let mut legend = String::new();
        reach_legend(&mut legend, 0.0, 0.0);
        let left = legend.find(">100 %<").unwrap();
        assert!(left < legend.find(">0 %<").unwrap(), "{legend}");
    }

    #[test]
    fn every_cell_is_drawn_in_both_panels_with_its_colour() {
        // two neighbouring resolution-9 cells in Valletta
        let a = h3o::LatLng::new(35.8989, 14.5146)
            .unwrap()
            .to_cell(h3o::Resolution::Nine);
        let b = a
            .grid_disk::<Vec<_>>(1)
            .into_iter()
            .find(|&c| c != a)
            .unwrap();
        let cells = vec![
            CellInfo {
                cell: a.into(),
                status: Some(CellStatus::Ok),
                lat: 35.8989,
                lon: 14.5146,
                median_s: None,
                reach_share: None,
            },
            CellInfo {
                cell: b.into(),
                status: Some(CellStatus::NoRoad),
                lat: 35.9,
                lon: 14.51,
                median_s: None,
                reach_share: None,
            },
        ];
        let svg = render_svg(&cells, "t < 1");
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        assert_eq!(super::hexagons_drawn(&svg), 6, "2 cells in 3 panels");
        assert_eq!(
            svg.matches(r##"<use href="#no-road-cells"/>"##).count(),
            3,
            "the no_road cell is defined once, drawn in each panel"
        );
        assert_eq!(svg.matches(r#"<path class="cells""#).count(), 3, "{svg}");
        assert!(svg.contains("t &lt; 1"));
        assert!(svg.contains(r##"fill="#4c9a2a""##) && svg.contains(r##"fill="#e377c2""##));
    }
}

//! The scale bar of a map panel: a round length (1, 2 or 5 times a power of ten
//! metres) as long as fits in a fraction of the panel, drawn under the panel at
//! the right end of its legend's first row: inside the panel it hid cells.

use std::fmt::Write as _;

/// The longest scale bar, as a share of the panel width: a fifth leaves the bar
/// and its label clear of the legends' 400-pixel colour scales.
const MAX_SHARE: f64 = 0.2;

/// A scale bar: its length on the ground and on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleBar {
    /// Ground length in metres (1, 2 or 5 times a power of ten).
    pub metres: f64,
    /// Screen length in pixels.
    pub px: f64,
}

impl ScaleBar {
    /// The longest round length that fits in a fifth of `panel_w` pixels at
    /// `metres_per_px`; `None` when the scale is not a positive finite number.
    #[must_use]
    pub fn fit(metres_per_px: f64, panel_w: f64) -> Option<Self> {
        let max_m = MAX_SHARE * panel_w * metres_per_px;
        if !(max_m.is_finite() && max_m > 0.0) {
            return None;
        }
        let power = 10f64.powf(max_m.log10().floor());
        let step = [5.0, 2.0, 1.0]
            .into_iter()
            .map(|k| k * power)
            .find(|&m| m <= max_m)?;
        Some(Self {
            metres: step,
            px: step / metres_per_px,
        })
    }

    /// The length as people write it: "500 m", "2 km", "0.5 m".
    #[must_use]
    pub fn label(&self) -> String {
        if self.metres >= 1000.0 {
            format!("{} km", self.metres / 1000.0)
        } else {
            format!("{} m", self.metres)
        }
    }

    /// Width in pixels of the drawing: the bar or its label, whichever is longer,
    /// with 6 pixels each side.
    #[must_use]
    pub fn width(&self) -> f64 {
        self.px.max(self.label().len() as f64 * 7.0) + 12.0
    }

    /// The bar as SVG with its right edge (of [`Self::width`]) at `right` and the
    /// bar's baseline at `y`; the label sits above the bar.
    #[must_use]
    pub fn svg(&self, right: f64, y: f64) -> String {
        let mut s = String::new();
        let label = self.label();
        let box_w = self.width();
        let x = right - box_w + 6.0;
        let _ = writeln!(
            s,
            r#"<g class="scalebar"><rect x="{:.1}" y="{:.1}" width="{box_w:.1}" height="28" fill="white" fill-opacity="0.8"/>"#,
            x - 6.0,
            y - 22.0
        );
        let (x1, y1) = (x + self.px, y);
        let _ = writeln!(
            s,
            r#"<polyline points="{x:.1},{:.1} {x:.1},{y1:.1} {x1:.1},{y1:.1} {x1:.1},{:.1}" fill="none" stroke="black" stroke-width="1.5"/>"#,
            y - 5.0,
            y - 5.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" font-size="11">{label}</text></g>"#,
            y - 9.0
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::ScaleBar;

    #[test]
    fn a_round_length_within_a_quarter_of_the_panel() {
        // Valletta: about 11 m a pixel on a 560-pixel panel -> at most 1232 m
        let b = ScaleBar::fit(11.0, 560.0).unwrap();
        assert_eq!((b.metres, b.label()), (1000.0, "1 km".to_owned()));
        assert!((b.px - 1000.0 / 11.0).abs() < 1e-9);
        // whole Malta: about 65 m a pixel -> at most 7280 m
        assert_eq!(ScaleBar::fit(65.0, 560.0).unwrap().label(), "5 km");
        assert_eq!(ScaleBar::fit(2.0, 560.0).unwrap().label(), "200 m");
        assert_eq!(ScaleBar::fit(0.0, 560.0), None);
        assert_eq!(ScaleBar::fit(f64::NAN, 560.0), None);
    }
}

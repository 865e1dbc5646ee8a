//! A small static map of an order's positions, drawn on the server as
//! inline SVG (no tiles, no network): each event's signed fix as a numbered
//! dot inside its accuracy circle, the delivery address's coordinates as a
//! square, a scale bar. A local flat projection is plenty for a few
//! kilometres.

use std::fmt::Write;

/// Metres per degree of latitude.
const M_PER_DEG_LAT: f64 = 110_540.0;
/// Metres per degree of longitude at the equator.
const M_PER_DEG_LON: f64 = 111_320.0;
/// The drawing's size, in SVG units.
const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 320.0;
const PAD: f64 = 24.0;
/// The narrowest span shown, in metres (a lone point is not a whole screen).
const MIN_SPAN_M: f64 = 200.0;

/// One point to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPoint {
    /// Latitude, 1e-7 degrees.
    pub lat_e7: i64,
    /// Longitude, 1e-7 degrees.
    pub lon_e7: i64,
    /// Radius of the accuracy circle, metres.
    pub accuracy_m: f64,
    /// The number written beside it (the event's place in the timeline).
    pub label: String,
}

/// The accuracy of a GNSS fix from its HDOP (hundredths): HDOP times a
/// typical user range error of 5 m, at least 5 m; 25 m when not given.
pub fn accuracy_m(hdop_centi: Option<u32>) -> f64 {
    hdop_centi.map_or(25.0, |h| (f64::from(h) / 100.0 * 5.0).max(5.0))
}

/// The map of `points` and the `destination`, or `None` with nothing to draw.
pub fn order_map_svg(
    points: &[MapPoint],
    destination: Option<(i64, i64)>,
    title: &str,
) -> Option<String> {
    if points.is_empty() && destination.is_none() {
        return None;
    }
    let deg = |e7: i64| e7 as f64 / 1e7;
    let all: Vec<(f64, f64, f64)> = points
        .iter()
        .map(|p| (deg(p.lat_e7), deg(p.lon_e7), p.accuracy_m))
        .chain(destination.map(|(la, lo)| (deg(la), deg(lo), 10.0)))
        .collect();
    let lat0 = all.iter().map(|p| p.0).sum::<f64>() / all.len() as f64;
    let lon0 = all.iter().map(|p| p.1).sum::<f64>() / all.len() as f64;
    let cos = lat0.to_radians().cos().max(0.01);
    // Metres east and north of the centre.
    let local = |lat: f64, lon: f64| {
        (
            (lon - lon0) * M_PER_DEG_LON * cos,
            (lat - lat0) * M_PER_DEG_LAT,
        )
    };
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (lat, lon, r) in &all {
        let (x, y) = local(*lat, *lon);
        min_x = min_x.min(x - r);
        max_x = max_x.max(x + r);
        min_y = min_y.min(y - r);
        max_y = max_y.max(y + r);
    }
    let span_x = (max_x - min_x).max(MIN_SPAN_M);
    let span_y = (max_y - min_y).max(MIN_SPAN_M);
    let scale = ((WIDTH - 2.0 * PAD) / span_x).min((HEIGHT - 2.0 * PAD) / span_y);
    let (cx, cy) = ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0);
    let to_svg = |lat: f64, lon: f64| {
        let (x, y) = local(lat, lon);
        (
            WIDTH / 2.0 + (x - cx) * scale,
            HEIGHT / 2.0 - (y - cy) * scale,
        )
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" id=\"order-map\" direction=\"ltr\" style=\"direction:ltr\">\
         <title>{}</title><rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#f3f5f2\"/>",
        escape(title)
    );
    if let Some((la, lo)) = destination {
        let (x, y) = to_svg(deg(la), deg(lo));
        let _ = write!(
            svg,
            "<rect class=\"destination\" x=\"{:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"#b3261e\"/>",
            x - 6.0,
            y - 6.0
        );
    }
    for p in points {
        let (x, y) = to_svg(deg(p.lat_e7), deg(p.lon_e7));
        let r = (p.accuracy_m * scale).max(3.0);
        let _ = write!(
            svg,
            "<circle class=\"accuracy\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"#0b5cad\" fill-opacity=\"0.12\" stroke=\"#0b5cad\" stroke-width=\"1\"/>\
             <circle class=\"fix\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"#0b5cad\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1b1f24\">{}</text>",
            x + 6.0,
            y - 6.0,
            escape(&p.label)
        );
    }
    // A scale bar of a round length, about a quarter of the width.
    let target = (WIDTH / 4.0) / scale;
    let bar_m = [
        5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0,
    ]
    .into_iter()
    .rev()
    .find(|m| *m <= target)
    .unwrap_or(5.0);
    let bar = bar_m * scale;
    let label = if bar_m >= 1000.0 {
        format!("{} km", bar_m / 1000.0)
    } else {
        format!("{bar_m} m")
    };
    let _ = write!(
        svg,
        "<g class=\"scale\"><line x1=\"{PAD}\" y1=\"{y:.1}\" x2=\"{x2:.1}\" y2=\"{y:.1}\" stroke=\"#1b1f24\" stroke-width=\"3\"/>\
         <text x=\"{PAD}\" y=\"{ty:.1}\" font-size=\"12\" fill=\"#1b1f24\">{label}</text></g></svg>",
        y = HEIGHT - 10.0,
        x2 = PAD + bar,
        ty = HEIGHT - 16.0,
    );
    Some(svg)
}

/// Text escaped for an SVG element's content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(lat_e7: i64, lon_e7: i64, accuracy_m: f64, label: &str) -> MapPoint {
        MapPoint {
            lat_e7,
            lon_e7,
            accuracy_m,
            label: label.into(),
        }
    }

    #[test]
    fn nothing_to_draw_is_no_map() {
        assert!(order_map_svg(&[], None, "map").is_none());
    }

    #[test]
    fn each_fix_has_its_accuracy_circle_and_the_destination_a_square() {
        // Tunis: two fixes 100 m apart and the address.
        let pts = [
            point(368_065_000, 101_815_000, 8.0, "1"),
            point(368_074_000, 101_815_000, 40.0, "2"),
        ];
        let svg = order_map_svg(&pts, Some((368_070_000, 101_820_000)), "a <map>").expect("map");
        assert_eq!(svg.matches("class=\"accuracy\"").count(), 2);
        assert_eq!(svg.matches("class=\"destination\"").count(), 1);
        assert!(svg.contains("<title>a &lt;map&gt;</title>"));
        // The worse fix draws the larger circle.
        let radii: Vec<f64> = svg
            .split("class=\"accuracy\"")
            .skip(1)
            .filter_map(|s| s.split("r=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect();
        assert!(radii[1] > radii[0] * 4.0, "{radii:?}");
        assert!(svg.contains(" m</text>"), "a scale bar: {svg}");
    }

    #[test]
    fn accuracy_follows_hdop() {
        assert_eq!(accuracy_m(Some(120)), 6.0);
        assert_eq!(accuracy_m(Some(50)), 5.0);
        assert_eq!(accuracy_m(None), 25.0);
    }
}

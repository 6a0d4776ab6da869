//! Maps drawn offline as SVG from the bundled borough outlines: no tiles, no network. Points are
//! drawn one by one up to a limit, then gathered into grid cells with a count.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use lantern_geo::Gazetteer;
use maud::{Markup, PreEscaped, html};

/// Width of the drawing, SVG units.
const WIDTH: f64 = 800.0;
/// Above this many points, nearby points are gathered into one marker.
const MAX_POINTS: usize = 300;

/// One thing to mark.
pub struct Marker {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Shown on hover and to screen readers.
    pub label: String,
    /// Where a click goes, if anywhere.
    pub href: Option<String>,
    /// CSS class (the band: `high`, `medium`, `low`).
    pub class: &'static str,
}

/// Projects longitude and latitude onto the drawing (equirectangular at the region's latitude).
struct Frame {
    west: f64,
    north: f64,
    scale_x: f64,
    scale_y: f64,
    height: f64,
}

impl Frame {
    fn of_region(g: &Gazetteer) -> Self {
        Self::around(g.borough_outlines().into_iter().map(|(_, p)| p))
    }

    /// A frame around these polygons.
    fn around<'a>(polygons: impl Iterator<Item = &'a lantern_geo::polygon::Polygon>) -> Self {
        let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for poly in polygons {
            for ring in poly.rings() {
                for &(lon, lat) in ring {
                    west = west.min(lon);
                    east = east.max(lon);
                    south = south.min(lat);
                    north = north.max(lat);
                }
            }
        }
        if west >= east || south >= north {
            (west, east, south, north) = (-2.3, -1.4, 52.3, 52.7);
        }
        let k = ((south + north) / 2.0).to_radians().cos();
        let scale_x = WIDTH / (east - west);
        let scale_y = scale_x / k;
        Self {
            west,
            north,
            scale_x,
            scale_y,
            height: (north - south) * scale_y,
        }
    }

    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.west) * self.scale_x,
            (self.north - lat) * self.scale_y,
        )
    }
}

/// The outlines as one SVG path per borough, with its name as a title.
fn outlines(g: &Gazetteer, frame: &Frame) -> String {
    let mut out = String::new();
    let mut labels = String::new();
    for (area, poly) in g.borough_outlines() {
        let d = path_of(poly, frame);
        let name = maud::html! { (area.name) }.into_string();
        let _ = write!(
            out,
            r#"<path class="borough" d="{d}"><title>{name}</title></path>"#
        );
        if let Some(exterior) = poly.rings().first().filter(|r| !r.is_empty()) {
            let n = exterior.len() as f64;
            let lon = exterior.iter().map(|p| p.0).sum::<f64>() / n;
            let lat = exterior.iter().map(|p| p.1).sum::<f64>() / n;
            let (x, y) = frame.xy(lon, lat);
            labels.push_str(&format!(
                r#"<text class="borough-name" x="{x:.1}" y="{y:.1}">{name}</text>"#
            ));
        }
    }
    out.push_str(&labels);
    out
}

/// A map of the region with `markers`; `caption` describes it for people who cannot see it.
pub fn region_map(markers: &[Marker], caption: &str) -> Markup {
    draw(markers, caption, "map")
}

/// A smaller map of one borough with its wards, for one place (the whole region when the
/// borough is unknown).
pub fn borough_map(borough: Option<&str>, markers: &[Marker], caption: &str) -> Markup {
    match borough.and_then(|code| boroughs_with_wards().get(code)) {
        Some(base) => draw_on(base, markers, caption, "map small"),
        None => draw(markers, caption, "map small"),
    }
}

/// Each borough's frame and drawing (its wards, then its outline), made once.
fn boroughs_with_wards() -> &'static std::collections::HashMap<String, (Frame, String)> {
    static MAPS: OnceLock<std::collections::HashMap<String, (Frame, String)>> = OnceLock::new();
    MAPS.get_or_init(|| {
        let Ok(g) = Gazetteer::embedded() else {
            return Default::default();
        };
        let wards = g.ward_outlines();
        g.borough_outlines()
            .into_iter()
            .map(|(area, outline)| {
                let frame = Frame::around(std::iter::once(outline));
                let mut svg = String::new();
                for (ward, _, poly) in wards.iter().filter(|(_, b, _)| *b == area.code) {
                    let name = maud::html! { (ward.name) }.into_string();
                    let _ = write!(
                        svg,
                        r#"<path class="ward" d="{}"><title>{name}</title></path>"#,
                        path_of(poly, &frame)
                    );
                }
                let _ = write!(
                    svg,
                    r#"<path class="outline" d="{}"/>"#,
                    path_of(outline, &frame)
                );
                (area.code.clone(), (frame, svg))
            })
            .collect()
    })
}

/// An SVG path of a polygon's rings in a frame.
fn path_of(poly: &lantern_geo::polygon::Polygon, frame: &Frame) -> String {
    let mut d = String::new();
    for ring in poly.rings() {
        for (i, &(lon, lat)) in ring.iter().enumerate() {
            let (x, y) = frame.xy(lon, lat);
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
        }
        d.push('Z');
    }
    d
}

/// The legend of the bands' colours.
fn legend() -> Markup {
    html! {
        ul.legend {
            li { span.dot.high {} " high concern" }
            li { span.dot.medium {} " medium" }
            li { span.dot.low {} " low" }
        }
    }
}

/// The region's frame and outlines, drawn once.
fn base() -> Option<&'static (Frame, String)> {
    static BASE: OnceLock<Option<(Frame, String)>> = OnceLock::new();
    BASE.get_or_init(|| {
        let g = Gazetteer::embedded().ok()?;
        let frame = Frame::of_region(g);
        let shapes = outlines(g, &frame);
        Some((frame, shapes))
    })
    .as_ref()
}

fn draw(markers: &[Marker], caption: &str, class: &str) -> Markup {
    let Some(base) = base() else {
        return html! { p.muted { "The map cannot be drawn: the bundled geography did not load." } };
    };
    draw_on(base, markers, caption, class)
}

fn draw_on(base: &(Frame, String), markers: &[Marker], caption: &str, class: &str) -> Markup {
    let (frame, shapes) = base;
    let height = frame.height.ceil();
    // Markers keep a readable size however tall the drawing is scaled down.
    let r = format!("{:.1}", (height / 60.0).max(6.0));
    html! {
        figure class=(class) {
            svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(caption) {
                (PreEscaped(shapes.as_str()))
                @if markers.len() <= MAX_POINTS {
                    @for m in markers {
                        @let (x, y) = frame.xy(m.lon, m.lat);
                        @if let Some(href) = &m.href {
                            a href=(href) {
                                circle class=(m.class) cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r=(r) { title { (m.label) } }
                            }
                        } @else {
                            circle class=(m.class) cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r=(r) { title { (m.label) } }
                        }
                    }
                } @else {
                    @for ((cx, cy), (n, high)) in gathered(markers, frame) {
                        circle class=(if high { "high" } else { "medium" }) cx=(format!("{cx:.1}")) cy=(format!("{cy:.1}")) r=(format!("{:.1}", 6.0 + (n as f64).sqrt() * 2.0)) {
                            title { (n) " locations" }
                        }
                        text class="count" x=(format!("{cx:.1}")) y=(format!("{:.1}", cy + 4.0)) { (n) }
                    }
                }
            }
            figcaption { (legend()) (caption) }
        }
    }
}

/// Markers gathered into 40-unit cells: centre of each cell's points, how many, any high.
fn gathered(markers: &[Marker], frame: &Frame) -> Vec<((f64, f64), (usize, bool))> {
    let mut cells: BTreeMap<(i64, i64), (f64, f64, usize, bool)> = BTreeMap::new();
    for m in markers {
        let (x, y) = frame.xy(m.lon, m.lat);
        let key = ((x / 40.0).floor() as i64, (y / 40.0).floor() as i64);
        let c = cells.entry(key).or_insert((0.0, 0.0, 0, false));
        c.0 += x;
        c.1 += y;
        c.2 += 1;
        c.3 |= m.class == "high";
    }
    cells
        .into_values()
        .map(|(sx, sy, n, high)| ((sx / n as f64, sy / n as f64), (n, high)))
        .collect()
}

//! Geometry of the generator: the similarity transform that moves copies
//! and exploded blocks, the −Z extrusion normalisation, and extents.

use dxf::entities::{Entity, EntityType, Insert, LwPolyline, MText, Polyline, Spline};
use dxf::{Point, Vector};

pub(super) const EPS: f64 = 1e-9;

// ---------------------------------------------------------------------------
// Geometry: a similarity transform p' = s·R(θ)·p + t.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
pub(super) struct Xf {
    /// s·cos θ
    pub(super) a: f64,
    /// s·sin θ
    pub(super) b: f64,
    pub(super) tx: f64,
    pub(super) ty: f64,
}

/// The corners of a SOLID, a TRACE or a 3DFACE: three dxf types with the
/// same four fields and no common trait.
macro_rules! four_corners {
    ($e:expr) => {
        [
            &mut $e.first_corner,
            &mut $e.second_corner,
            &mut $e.third_corner,
            &mut $e.fourth_corner,
        ]
    };
}

impl Xf {
    pub(super) const IDENTITY: Xf = Xf {
        a: 1.0,
        b: 0.0,
        tx: 0.0,
        ty: 0.0,
    };

    pub(super) fn translation(dx: f64, dy: f64) -> Xf {
        Xf {
            tx: dx,
            ty: dy,
            ..Xf::IDENTITY
        }
    }

    fn scale(&self) -> f64 {
        self.a.hypot(self.b)
    }

    fn rotation_deg(&self) -> f64 {
        self.b.atan2(self.a).to_degrees()
    }

    /// self ∘ other (apply `other` first).
    pub(super) fn then_after(&self, other: &Xf) -> Xf {
        Xf {
            a: self.a * other.a - self.b * other.b,
            b: self.b * other.a + self.a * other.b,
            tx: self.a * other.tx - self.b * other.ty + self.tx,
            ty: self.b * other.tx + self.a * other.ty + self.ty,
        }
    }

    /// Moves the four corners of a SOLID, TRACE or 3DFACE.
    fn corners(&self, corners: [&mut Point; 4]) {
        for p in corners {
            *p = self.point(p);
        }
    }

    fn point(&self, p: &Point) -> Point {
        Point::new(
            self.a * p.x - self.b * p.y + self.tx,
            self.b * p.x + self.a * p.y + self.ty,
            p.z * self.scale(),
        )
    }

    fn vector(&self, v: &Vector) -> Vector {
        Vector::new(
            self.a * v.x - self.b * v.y,
            self.b * v.x + self.a * v.y,
            v.z * self.scale(),
        )
    }

    fn is_identity(&self) -> bool {
        (self.a - 1.0).abs() < EPS && self.b.abs() < EPS && self.tx == 0.0 && self.ty == 0.0
    }
}

/// The transform of a block reference: move the base point to the origin,
/// scale, rotate, move to the insertion point. None when it is not a
/// similarity (non-uniform scale, mirror, 3D extrusion, MINSERT grid).
pub(super) fn insert_xf(ins: &Insert, base: &Point) -> Option<Xf> {
    let (sx, sy) = (ins.x_scale_factor, ins.y_scale_factor);
    if (sx - sy).abs() > EPS || sx <= 0.0 || !is_plus_z(&ins.extrusion_direction) {
        return None;
    }
    if ins.column_count > 1 || ins.row_count > 1 {
        return None;
    }
    let (sin, cos) = ins.rotation.to_radians().sin_cos();
    let rs = Xf {
        a: sx * cos,
        b: sx * sin,
        tx: 0.0,
        ty: 0.0,
    };
    let to_origin = Xf::translation(-base.x, -base.y);
    Some(Xf::translation(ins.location.x, ins.location.y).then_after(&rs.then_after(&to_origin)))
}

pub(super) fn is_plus_z(n: &Vector) -> bool {
    n.x.abs() < 1e-6 && n.y.abs() < 1e-6 && n.z > 0.0
}

fn is_minus_z(n: &Vector) -> bool {
    n.x.abs() < 1e-6 && n.y.abs() < 1e-6 && n.z < 0.0
}

/// Rewrites an entity drawn with extrusion −Z (a mirrored arc, common in CAM
/// exports) in plain +Z world coordinates: the object coordinate system of −Z
/// has its x axis pointing to world −x.
pub(super) fn normalize_minus_z(e: &mut Entity) -> bool {
    match &mut e.specific {
        EntityType::Circle(c) if is_minus_z(&c.normal) => {
            c.center.x = -c.center.x;
            c.normal = Vector::z_axis();
        }
        EntityType::Arc(a) if is_minus_z(&a.normal) => {
            a.center.x = -a.center.x;
            let (s, e) = (a.start_angle, a.end_angle);
            a.start_angle = (180.0 - e).rem_euclid(360.0);
            a.end_angle = (180.0 - s).rem_euclid(360.0);
            a.normal = Vector::z_axis();
        }
        EntityType::LwPolyline(p) if is_minus_z(&p.extrusion_direction) => {
            for v in &mut p.vertices {
                v.x = -v.x;
                v.bulge = -v.bulge;
            }
            p.extrusion_direction = Vector::z_axis();
        }
        EntityType::Ellipse(el) if is_minus_z(&el.normal) => {
            // Ellipse points are world coordinates; only the parameter
            // direction flips.
            let (s, e) = (el.start_parameter, el.end_parameter);
            el.start_parameter = -e;
            el.end_parameter = -s;
            el.normal = Vector::z_axis();
        }
        _ => return false,
    }
    true
}

/// Moves an entity by `xf`; false when the kind is not supported (it is then
/// left out and reported).
pub(super) fn transform(e: &mut Entity, xf: &Xf) -> bool {
    if xf.is_identity() {
        return is_supported(&e.specific);
    }
    let (s, rot) = (xf.scale(), xf.rotation_deg());
    match &mut e.specific {
        EntityType::Line(l) => {
            l.p1 = xf.point(&l.p1);
            l.p2 = xf.point(&l.p2);
        }
        EntityType::Circle(c) => {
            c.center = xf.point(&c.center);
            c.radius *= s;
        }
        EntityType::Arc(a) => {
            a.center = xf.point(&a.center);
            a.radius *= s;
            a.start_angle = (a.start_angle + rot).rem_euclid(360.0);
            a.end_angle = (a.end_angle + rot).rem_euclid(360.0);
        }
        EntityType::Ellipse(el) => {
            el.center = xf.point(&el.center);
            el.major_axis = xf.vector(&el.major_axis);
        }
        EntityType::LwPolyline(p) => transform_lwpolyline(p, xf),
        EntityType::Polyline(p) => transform_polyline(p, xf),
        EntityType::Spline(sp) => transform_spline(sp, xf),
        EntityType::ModelPoint(p) => p.location = xf.point(&p.location),
        EntityType::Solid(so) => xf.corners(four_corners!(so)),
        EntityType::Trace(tr) => xf.corners(four_corners!(tr)),
        EntityType::Face3D(f) => xf.corners(four_corners!(f)),
        EntityType::Text(t) => {
            t.location = xf.point(&t.location);
            t.second_alignment_point = xf.point(&t.second_alignment_point);
            t.text_height *= s;
            t.rotation = (t.rotation + rot).rem_euclid(360.0);
        }
        EntityType::MText(m) => transform_mtext(m, xf),
        _ => return false,
    }
    true
}

fn transform_lwpolyline(p: &mut LwPolyline, xf: &Xf) {
    let s = xf.scale();
    for v in &mut p.vertices {
        let q = xf.point(&Point::new(v.x, v.y, 0.0));
        v.x = q.x;
        v.y = q.y;
        v.starting_width *= s;
        v.ending_width *= s;
    }
    p.constant_width *= s;
}

fn transform_polyline(p: &mut Polyline, xf: &Xf) {
    let s = xf.scale();
    p.location = xf.point(&p.location);
    for v in p.vertices_mut() {
        v.location = xf.point(&v.location);
        v.starting_width *= s;
        v.ending_width *= s;
    }
}

fn transform_spline(sp: &mut Spline, xf: &Xf) {
    for c in &mut sp.control_points {
        *c = xf.point(c);
    }
    for f in &mut sp.fit_points {
        *f = xf.point(f);
    }
    // Tangents are directions: rotated and scaled, not moved.
    let rotate = |p: &Point| {
        let v = xf.vector(&Vector::new(p.x, p.y, p.z));
        Point::new(v.x, v.y, v.z)
    };
    sp.start_tangent = rotate(&sp.start_tangent);
    sp.end_tangent = rotate(&sp.end_tangent);
}

fn transform_mtext(m: &mut MText, xf: &Xf) {
    let s = xf.scale();
    m.insertion_point = xf.point(&m.insertion_point);
    m.initial_text_height *= s;
    m.reference_rectangle_width *= s;
    if m.x_axis_direction.x.abs() > EPS || m.x_axis_direction.y.abs() > EPS {
        m.x_axis_direction = xf.vector(&m.x_axis_direction);
    } else {
        m.rotation_angle = (m.rotation_angle + xf.rotation_deg()).rem_euclid(360.0);
    }
}

pub(super) fn is_supported(t: &EntityType) -> bool {
    matches!(
        t,
        EntityType::Line(_)
            | EntityType::Circle(_)
            | EntityType::Arc(_)
            | EntityType::Ellipse(_)
            | EntityType::LwPolyline(_)
            | EntityType::Polyline(_)
            | EntityType::Spline(_)
            | EntityType::ModelPoint(_)
            | EntityType::Solid(_)
            | EntityType::Trace(_)
            | EntityType::Face3D(_)
            | EntityType::Text(_)
            | EntityType::MText(_)
    )
}

/// Whether an entity drawn in its object coordinate system is flat in +Z
/// (text, polylines…): other planes cannot be moved in 2D.
pub(super) fn is_planar_plus_z(t: &EntityType) -> bool {
    match t {
        EntityType::Text(x) => is_plus_z(&x.normal),
        EntityType::Circle(x) => is_plus_z(&x.normal),
        EntityType::Arc(x) => is_plus_z(&x.normal),
        EntityType::Ellipse(x) => is_plus_z(&x.normal),
        EntityType::LwPolyline(x) => is_plus_z(&x.extrusion_direction),
        EntityType::Polyline(x) => is_plus_z(&x.normal) || x.is_3d_polyline(),
        EntityType::Solid(x) => is_plus_z(&x.extrusion_direction),
        EntityType::Trace(x) => is_plus_z(&x.extrusion_direction),
        EntityType::MText(x) => is_plus_z(&x.extrusion_direction),
        _ => true,
    }
}

pub(super) fn kind(t: &EntityType) -> &'static str {
    match t {
        EntityType::Insert(_) => "INSERT",
        EntityType::Attribute(_) => "ATTRIB",
        EntityType::AttributeDefinition(_) => "ATTDEF",
        EntityType::RotatedDimension(_)
        | EntityType::RadialDimension(_)
        | EntityType::DiameterDimension(_)
        | EntityType::AngularThreePointDimension(_)
        | EntityType::OrdinateDimension(_) => "DIMENSION",
        EntityType::Image(_) => "IMAGE",
        EntityType::Leader(_) => "LEADER",
        EntityType::Region(_) => "REGION",
        EntityType::Solid3D(_) => "3DSOLID",
        EntityType::Body(_) => "BODY",
        EntityType::MLine(_) => "MLINE",
        EntityType::Wipeout(_) => "WIPEOUT",
        EntityType::XLine(_) => "XLINE",
        EntityType::Ray(_) => "RAY",
        _ => "AUTRE",
    }
}

// ---------------------------------------------------------------------------
// Extents
// ---------------------------------------------------------------------------

pub(super) fn arc_points(c: &Point, r: f64, start: f64, end: f64) -> Vec<(f64, f64)> {
    let mut end = end;
    while end <= start {
        end += 360.0;
    }
    let mut angles = vec![start, end];
    let mut k = (start / 90.0).ceil() * 90.0;
    while k < end {
        angles.push(k);
        k += 90.0;
    }
    angles
        .into_iter()
        .map(|a| {
            let (s, co) = a.to_radians().sin_cos();
            (c.x + r * co, c.y + r * s)
        })
        .collect()
}

/// Points whose bounding box covers the entity's drawn shape (texts count
/// by their insertion points only: their glyph extents depend on fonts).
fn bound_points(e: &Entity) -> Vec<(f64, f64)> {
    match &e.specific {
        EntityType::Line(l) => vec![(l.p1.x, l.p1.y), (l.p2.x, l.p2.y)],
        EntityType::Circle(c) => arc_points(&c.center, c.radius, 0.0, 360.0),
        EntityType::Arc(a) => arc_points(&a.center, a.radius, a.start_angle, a.end_angle),
        EntityType::Ellipse(el) => {
            let ratio = el.minor_axis_ratio;
            let (mx, my) = (el.major_axis.x, el.major_axis.y);
            let (nx, ny) = (-my * ratio, mx * ratio);
            let (mut t, mut end) = (el.start_parameter, el.end_parameter);
            while end <= t {
                end += std::f64::consts::TAU;
            }
            let step = (end - t) / 64.0;
            let mut pts = Vec::with_capacity(65);
            for _ in 0..=64 {
                let (s, co) = t.sin_cos();
                pts.push((
                    el.center.x + co * mx + s * nx,
                    el.center.y + co * my + s * ny,
                ));
                t += step;
            }
            pts
        }
        EntityType::LwPolyline(p) => {
            let mut pts = Vec::new();
            let n = p.vertices.len();
            for (i, v) in p.vertices.iter().enumerate() {
                pts.push((v.x, v.y));
                let next = if i + 1 < n {
                    Some(&p.vertices[i + 1])
                } else if p.is_closed() {
                    p.vertices.first()
                } else {
                    None
                };
                if let (Some(w), true) = (next, v.bulge.abs() > EPS) {
                    pts.extend(bulge_points((v.x, v.y), (w.x, w.y), v.bulge));
                }
            }
            pts
        }
        EntityType::Polyline(p) => p.vertices().map(|v| (v.location.x, v.location.y)).collect(),
        EntityType::Spline(s) => {
            let src = if s.control_points.is_empty() {
                &s.fit_points
            } else {
                &s.control_points
            };
            src.iter().map(|p| (p.x, p.y)).collect()
        }
        EntityType::ModelPoint(p) => vec![(p.location.x, p.location.y)],
        EntityType::Solid(s) => [
            &s.first_corner,
            &s.second_corner,
            &s.third_corner,
            &s.fourth_corner,
        ]
        .iter()
        .map(|p| (p.x, p.y))
        .collect(),
        EntityType::Text(t) => vec![(t.location.x, t.location.y)],
        EntityType::MText(m) => vec![(m.insertion_point.x, m.insertion_point.y)],
        _ => Vec::new(),
    }
}

/// Extreme points of the arc a polyline bulge draws between `a` and `b`.
#[expect(
    clippy::many_single_char_names,
    reason = "the geometry's own names: ends a, b, radius r, centre c, apothem h"
)]
pub(super) fn bulge_points(a: (f64, f64), b: (f64, f64), bulge: f64) -> Vec<(f64, f64)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let chord = dx.hypot(dy);
    if chord < EPS {
        return Vec::new();
    }
    let sweep = 4.0 * bulge.atan(); // signed, radians
    let r = chord / (2.0 * (sweep / 2.0).sin());
    // Centre: from the chord midpoint along its normal.
    let (mx, my) = (f64::midpoint(a.0, b.0), f64::midpoint(a.1, b.1));
    let h = r * (sweep / 2.0).cos();
    let (nx, ny) = (-dy / chord, dx / chord);
    let c = Point::new(mx + nx * h, my + ny * h, 0.0);
    let sa = (a.1 - c.y).atan2(a.0 - c.x).to_degrees();
    let sb = (b.1 - c.y).atan2(b.0 - c.x).to_degrees();
    let (start, end) = if sweep > 0.0 { (sa, sb) } else { (sb, sa) };
    arc_points(&c, r.abs(), start, end)
}

pub(super) fn extents(entities: &[Entity]) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for (x, y) in entities.iter().flat_map(bound_points) {
        let e = b.get_or_insert([x, y, x, y]);
        e[0] = e[0].min(x);
        e[1] = e[1].min(y);
        e[2] = e[2].max(x);
        e[3] = e[3].max(y);
    }
    b
}

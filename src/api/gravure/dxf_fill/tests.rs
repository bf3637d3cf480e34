//! Unit tests of the generator, without HTTP.

use super::*;
use dxf::entities::{Arc, Circle, Ellipse, Insert, LwPolyline};
use dxf::{Block, Point};

const FIXTURE: &[u8] = include_bytes!("../../../../tests/fixtures/medaille.dxf");

fn layout() -> Layout {
    Layout {
        colonnes: 3,
        espacement_x: 5.0,
        espacement_y: 4.0,
        largeur: None,
        hauteur: None,
    }
}

fn order(nom: &str, prenom: &str, chrono: &str, numero: &str) -> EngravingData {
    EngravingData {
        nom: nom.into(),
        prenom: prenom.into(),
        chrono: chrono.into(),
        date: "14 JUILLET 2024".into(),
        numero: numero.into(),
    }
}

/// Texts of a drawing as (text, x, y): TEXT by its alignment point when
/// justified, else its location; MTEXT by its insertion point.
fn texts(d: &Drawing) -> Vec<(String, f64, f64)> {
    d.entities()
        .filter_map(|e| match &e.specific {
            EntityType::Text(t) => {
                let p = if t.horizontal_text_justification
                    == dxf::enums::HorizontalTextJustification::Left
                    && t.vertical_text_justification
                        == dxf::enums::VerticalTextJustification::Baseline
                {
                    &t.location
                } else {
                    &t.second_alignment_point
                };
                Some((t.value.clone(), p.x, p.y))
            }
            EntityType::MText(m) => Some((mtext_full(m), m.insertion_point.x, m.insertion_point.y)),
            _ => None,
        })
        .collect()
}

#[test]
fn fixture_is_analyzed() {
    let d = load(FIXTURE).unwrap();
    let a = analyze(&d);
    assert_eq!(
        a.placeholders,
        ["NOM", "PRENOM", "CHRONO", "DATE", "NUMERO"]
    );
    assert!(a.inconnus.is_empty());
    assert!(a.avertissements.is_empty(), "{:?}", a.avertissements);
    // circle r = 35 around the origin
    for (got, want) in a.emprise.iter().zip([-35.0, -35.0, 35.0, 35.0]) {
        assert!((got - want).abs() < 1e-6, "{:?}", a.emprise);
    }
    // circle + TEXT + MTEXT + 2 attributes
    assert_eq!(a.nb_entites, 5);
}

#[test]
fn lot_is_filled_and_read_back() {
    let d = load(FIXTURE).unwrap();
    let orders = [
        order("Lefèvre", "Éloïse", "01:02:03", "MKO-2026-IZO-001"),
        order("Mairie de Lyon", "", "", "MKO-2026-IZO-002"),
        order("Dupont", "Hélène", "10:00:00", "MKO-2026-IZO-003"),
        order("Martin", "Jean", "00:59:59", "MKO-2026-IZO-004"),
    ];
    let filled = fill_lot(&d, &layout(), &orders).unwrap();
    let text: String = filled.bytes.iter().map(|b| char::from(*b)).collect();
    // Accented letters as Windows-1252 bytes (the declared code page).
    assert!(!text.contains("\\U+00C9"));
    assert!(filled.bytes.windows(3).any(|w| w == [0xC9, b'l', b'o']));
    assert!(!text.contains("{{"), "a placeholder remains");
    assert!(text.contains("AC1015"), "written as R2000");
    assert!(!text.contains("ATTRIB") && !text.contains("ATTDEF"));
    // 70 mm medals, gaps 5 / 4, three per row
    assert_eq!(
        filled.offsets,
        vec![(0.0, 0.0), (75.0, 0.0), (150.0, 0.0), (0.0, -74.0)]
    );
    if let Ok(dir) = std::env::var("MK_DXF_DUMP") {
        std::fs::write(format!("{dir}/unit-lot.dxf"), &filled.bytes).unwrap();
    }
    assert_handles_unique(&filled.bytes);
    let back = Drawing::load(&mut std::io::Cursor::new(&filled.bytes)).unwrap();
    let got = texts(&back);
    let base = texts(&d);
    assert_eq!(got.len(), 4 * 4, "{got:?}"); // TEXT, MTEXT, 2 attributes per copy
    let find = |s: &str| got.iter().find(|(t, _, _)| t == s).cloned();
    let (_, x, y) = find("Éloïse Lefèvre").expect("accented name survives");
    let (_, bx, by) = base
        .iter()
        .find(|(t, _, _)| t == "{{PRENOM}} {{NOM}}")
        .cloned()
        .unwrap();
    assert!((x - bx).abs() < 1e-9 && (y - by).abs() < 1e-9);
    let (_, x, y) = find("Jean Martin").unwrap();
    assert!((x - bx).abs() < 1e-9 && (y - (by - 74.0)).abs() < 1e-9);
    assert!(find("MKO-2026-IZO-003").is_some_and(|(_, x, _)| (x - 150.0).abs() < 1e-9));
    assert!(find("01:02:03").is_some());
    // B2B copy: empty chrono and prénom
    assert!(
        find("Mairie de Lyon").is_some(),
        "no stray space before a B2B name"
    );
    assert_eq!(got.iter().filter(|(t, _, _)| t.is_empty()).count(), 1);
}

/// Handles (codes 5 and 105) of a written file: all distinct, none 0 —
/// the class of fault the crate has with attributes (integrations §6.2).
fn assert_handles_unique(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut seen = BTreeSet::new();
    for pair in lines.chunks(2) {
        if let [code, value] = pair {
            if *code == "5" || *code == "105" {
                assert_ne!(*value, "0", "handle 0 written");
                assert!(
                    seen.insert(value.to_string()),
                    "handle {value} written twice"
                );
            }
        }
    }
    assert!(seen.len() > 10);
}

const GEOMETRY: &[u8] = include_bytes!("../../../../tests/fixtures/geometrie.dxf");

#[test]
fn geometry_is_moved_and_blocks_exploded() {
    let d = load(GEOMETRY).unwrap();
    let a = analyze_bytes(&d, GEOMETRY);
    assert_eq!(a.placeholders, ["NOM", "NUMERO"]);
    assert_eq!(
        a.avertissements,
        ["Entité HATCH : 1 élément(s) non repris dans les fichiers générés."]
    );
    for (got, want) in a.emprise.iter().zip([-40.0, -25.0, 40.0, 25.0]) {
        assert!((got - want).abs() < 1e-6, "{:?}", a.emprise);
    }
    let layout = Layout {
        colonnes: 2,
        espacement_x: 10.0,
        espacement_y: 10.0,
        largeur: None,
        hauteur: None,
    };
    let orders = [
        order("Bernard", "", "", "N-1"),
        order("Rousseau", "", "", "N-2"),
        order("Vincent", "", "", "N-3"),
    ];
    let filled = fill_lot(&d, &layout, &orders).unwrap();
    assert_eq!(filled.offsets, vec![(0.0, 0.0), (90.0, 0.0), (0.0, -60.0)]);
    assert_handles_unique(&filled.bytes);
    if let Ok(dir) = std::env::var("MK_DXF_DUMP") {
        std::fs::write(format!("{dir}/unit-geometry.dxf"), &filled.bytes).unwrap();
    }
    let back = Drawing::load(&mut std::io::Cursor::new(&filled.bytes)).unwrap();
    // The block's TEXT: (10, 0) in the block, rotated 90°, scale 0.5,
    // inserted at (25, 5) → (25, 10), height 1.5.
    let numero = back
        .entities()
        .find_map(|e| match &e.specific {
            EntityType::Text(t) if t.value == "N-2" => Some(t.clone()),
            _ => None,
        })
        .expect("block text exploded");
    assert!(
        (numero.location.x - 115.0).abs() < 1e-9,
        "{:?}",
        numero.location
    );
    assert!((numero.location.y - 10.0).abs() < 1e-9);
    assert!((numero.rotation - 90.0).abs() < 1e-9 && (numero.text_height - 1.5).abs() < 1e-9);
    // Per copy: LWPOLYLINE, POLYLINE, ELLIPSE, SPLINE, ARC, LINE, TEXT,
    // CIRCLE + TEXT of the block.
    assert_eq!(back.entities().count(), 3 * 9);
    let arc = back
        .entities()
        .find_map(|e| match &e.specific {
            EntityType::Arc(a) => Some(a.clone()),
            _ => None,
        })
        .unwrap();
    // Drawn with extrusion −Z at OCS (−10, 0), 0°→90°: world (10, 0),
    // 90°→180°, written with +Z.
    assert!((arc.center.x - 10.0).abs() < 1e-9 && arc.normal.z > 0.0);
    assert!((arc.start_angle - 90.0).abs() < 1e-9 && (arc.end_angle - 180.0).abs() < 1e-9);
}

#[test]
fn values_are_escaped_and_unknown_markers_kept() {
    let data = order("D'Arc {x}", "A\\B", "", "100%%d");
    assert_eq!(
        fill_text("{{NOM}}/{{PRENOM}}", &data, escape_mtext),
        "D'Arc \\{x\\}/A\\\\B"
    );
    assert_eq!(fill_text("{{NUMERO}}", &data, escape_text), "100%%%%%%d");
    assert_eq!(
        fill_text("{{ NOM }} {{FOO}}", &data, escape_text),
        "D'Arc {x} {{FOO}}"
    );
}

#[test]
fn long_mtext_is_chunked() {
    let mut m = MText::default();
    let s: String = "é".repeat(600);
    set_mtext(&mut m, &s);
    assert_eq!(m.extended_text.len(), 2);
    assert_eq!(m.text.chars().count(), 100);
    assert_eq!(mtext_full(&m), s);
}

#[test]
fn escapes_of_the_code_page_become_its_bytes() {
    assert_eq!(
        unescape_code_page_1252(b"\\U+00C9lo\\U+00EFse \\U+0152uf \\U+4F60 \\U+00ZZ \\U+0"),
        b"\xC9lo\xEFse \x8Cuf \\U+4F60 \\U+00ZZ \\U+0".to_vec()
    );
}

#[test]
fn not_a_dxf_is_refused() {
    assert!(matches!(load(b"hello world"), Err(FillError::Invalid(_))));
    assert!(matches!(
        load(&[0xff, 0xd8, 0xff, 0xe0, 0, 1, 2]),
        Err(FillError::Invalid(_))
    ));
    assert!(load(b"").is_err());
    assert!(load(b"  0\r\nSECTION\r\n  2\r\nENTITIES\r\n  0\r\nENDSEC\r\n  0\r\nEOF\r\n").is_err());
}

#[test]
fn rotated_and_scaled_blocks_are_exploded() {
    let mut d = Drawing::new();
    let mut b = Block {
        name: "B".into(),
        base_point: Point::new(1.0, 0.0, 0.0),
        ..Default::default()
    };
    b.entities.push(circle(2.0, 0.0, 1.0));
    b.entities.push(arc(1.0, 0.0, 1.0, 0.0, 90.0));
    d.add_block(b);
    let ins = Insert {
        name: "B".into(),
        location: Point::new(10.0, 10.0, 0.0),
        x_scale_factor: 2.0,
        y_scale_factor: 2.0,
        rotation: 90.0,
        ..Default::default()
    };
    d.add_entity(Entity::new(EntityType::Insert(ins)));
    let mut copy = Flat::default();
    flatten(&d, &mut copy);
    assert!(copy.skipped.is_empty());
    match &copy.entities[0].specific {
        EntityType::Circle(c) => {
            assert!((c.center.x - 10.0).abs() < 1e-9 && (c.center.y - 12.0).abs() < 1e-9);
            assert!((c.radius - 2.0).abs() < 1e-9);
        }
        other => panic!("{other:?}"),
    }
    match &copy.entities[1].specific {
        EntityType::Arc(a) => {
            assert!((a.start_angle - 90.0).abs() < 1e-9 && (a.end_angle - 180.0).abs() < 1e-9);
        }
        other => panic!("{other:?}"),
    }
    // A non-uniform scale is reported, not silently distorted.
    let mut d2 = d.clone();
    for e in d2.entities_mut() {
        if let EntityType::Insert(i) = &mut e.specific {
            i.y_scale_factor = 1.0;
        }
    }
    let a = analyze(&d2);
    assert_eq!(a.avertissements.len(), 2, "{:?}", a.avertissements);
}

#[test]
fn extents_follow_arcs_and_bulges() {
    let e = extents(&[arc(0.0, 0.0, 10.0, 350.0, 10.0)]).unwrap();
    assert!((e[2] - 10.0).abs() < 1e-9 && e[0] > 9.0);
    let mut p = lw();
    p.vertices = vec![
        dxf::LwPolylineVertex {
            x: -1.0,
            y: 0.0,
            bulge: 1.0, // half circle
            ..Default::default()
        },
        dxf::LwPolylineVertex {
            x: 1.0,
            y: 0.0,
            ..Default::default()
        },
    ];
    let e = extents(&[Entity::new(EntityType::LwPolyline(p))]).unwrap();
    assert!(
        (e[1] + 1.0).abs() < 1e-9 || (e[3] - 1.0).abs() < 1e-9,
        "{e:?}"
    );
    let _ = ellipse();
}

// Builders.

fn circle(x: f64, y: f64, r: f64) -> Entity {
    Entity::new(EntityType::Circle(Circle::new(Point::new(x, y, 0.0), r)))
}
#[expect(
    clippy::many_single_char_names,
    reason = "centre x, y, radius r, start and end angles s, e"
)]
fn arc(x: f64, y: f64, r: f64, s: f64, e: f64) -> Entity {
    Entity::new(EntityType::Arc(Arc::new(Point::new(x, y, 0.0), r, s, e)))
}
fn ellipse() -> Ellipse {
    Ellipse::default()
}
fn lw() -> LwPolyline {
    LwPolyline::default()
}

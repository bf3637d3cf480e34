//! Exploding a template into one flat copy: block references become their
//! entities (moved by the reference's transform), attributes become TEXT.

use super::geometry::{
    insert_xf, is_planar_plus_z, is_supported, kind, normalize_minus_z, transform, Xf,
};
use super::MAX_BLOCK_DEPTH;
use dxf::entities::{AttributeDefinition, Entity, EntityType, Insert, Text};
use dxf::{Block, Drawing};
use std::collections::BTreeMap;

/// The TEXT an ATTRIB or an ATTDEF draws. The two dxf types carry the same
/// text fields under the same names but share no trait, so the fields are
/// read by a macro that works on either.
macro_rules! text_from_attribute {
    ($a:expr) => {
        Text {
            location: $a.location.clone(),
            second_alignment_point: $a.second_alignment_point.clone(),
            text_height: $a.text_height,
            value: $a.value.clone(),
            rotation: $a.rotation,
            relative_x_scale_factor: $a.relative_x_scale_factor,
            oblique_angle: $a.oblique_angle,
            text_style_name: $a.text_style_name.clone(),
            text_generation_flags: $a.text_generation_flags,
            horizontal_text_justification: $a.horizontal_text_justification,
            vertical_text_justification: $a.vertical_text_justification,
            normal: $a.normal.clone(),
            ..Default::default()
        }
    };
}

/// One copy of the template, exploded, in template coordinates.
#[derive(Default)]
pub(super) struct Flat {
    pub(super) entities: Vec<Entity>,
    /// What was left out, by French description, with counts.
    pub(super) skipped: BTreeMap<String, usize>,
}

impl Flat {
    fn skip(&mut self, what: impl Into<String>) {
        *self.skipped.entry(what.into()).or_insert(0) += 1;
    }
}

pub(super) fn flatten(drawing: &Drawing, out: &mut Flat) {
    let blocks: BTreeMap<&str, &Block> = drawing.blocks().map(|b| (b.name.as_str(), b)).collect();
    for e in drawing.entities() {
        if e.common.is_in_paper_space {
            continue;
        }
        place(e, &Xf::IDENTITY, None, &blocks, 0, false, out);
    }
}

/// Appends `e` moved by `xf` to `out`. `parent` is the block reference it
/// comes from (layer "0" and ByBlock colour inherit from it); `in_block`
/// tells whether `e` is a block's content (where non-constant ATTDEFs only
/// describe the INSERT's attributes and are not drawn).
pub(super) fn place(
    e: &Entity,
    xf: &Xf,
    parent: Option<&Entity>,
    blocks: &BTreeMap<&str, &Block>,
    depth: usize,
    in_block: bool,
    out: &mut Flat,
) {
    if !e.common.is_visible {
        return;
    }
    let mut e = e.clone();
    if let Some(p) = parent {
        inherit(&mut e, p);
    }
    normalize_minus_z(&mut e);
    match &e.specific {
        EntityType::Insert(ins) => place_insert(&e, ins, xf, blocks, depth, out),
        EntityType::AttributeDefinition(def) => place_attdef(&e, def, xf, in_block, out),
        _ => finish(e, xf, out),
    }
}

/// Layer "0" and the ByBlock colour take the block reference's.
fn inherit(e: &mut Entity, parent: &Entity) {
    if e.common.layer == "0" {
        e.common.layer.clone_from(&parent.common.layer);
    }
    if e.common.color.is_by_block() {
        e.common.color = parent.common.color.clone();
    }
}

/// A block reference: the block's entities moved by the reference's
/// transform, then the reference's visible attributes as TEXT.
fn place_insert(
    e: &Entity,
    ins: &Insert,
    xf: &Xf,
    blocks: &BTreeMap<&str, &Block>,
    depth: usize,
    out: &mut Flat,
) {
    let Some(block) = blocks.get(ins.name.as_str()) else {
        out.skip(format!("Référence au bloc absent « {} »", ins.name));
        return;
    };
    if depth >= MAX_BLOCK_DEPTH {
        out.skip(format!("Bloc « {} » imbriqué trop profondément", ins.name));
        return;
    }
    let Some(local) = insert_xf(ins, &block.base_point) else {
        out.skip(format!(
            "Bloc « {} » inséré avec une échelle non uniforme, un miroir ou en réseau",
            ins.name
        ));
        return;
    };
    let inner = xf.then_after(&local);
    for child in &block.entities {
        place(child, &inner, Some(e), blocks, depth + 1, true, out);
    }
    // Attribute values are already placed in the INSERT's
    // coordinates, which are those of the level holding the INSERT.
    for att in ins.attributes() {
        if att.flags & 1 != 0 {
            continue; // invisible attribute
        }
        let mut t = Entity::new(EntityType::Text(text_from_attribute!(att)));
        t.common.layer.clone_from(&e.common.layer);
        t.common.color = e.common.color.clone();
        finish(t, xf, out);
    }
}

/// An attribute definition, drawn as TEXT with its default value. In a
/// block, only constant attributes (flag 2) are drawn; at the top level an
/// ATTDEF is drawn and its default value is filled.
fn place_attdef(e: &Entity, def: &AttributeDefinition, xf: &Xf, in_block: bool, out: &mut Flat) {
    if (in_block && def.flags & 2 == 0) || def.flags & 1 != 0 {
        return;
    }
    let t = Entity {
        common: e.common.clone(),
        specific: EntityType::Text(text_from_attribute!(def)),
    };
    finish(t, xf, out);
}

pub(super) fn finish(mut e: Entity, xf: &Xf, out: &mut Flat) {
    if !is_supported(&e.specific) {
        out.skip(format!("Entité {}", kind(&e.specific)));
        return;
    }
    if !is_planar_plus_z(&e.specific) {
        out.skip("Entité hors du plan XY ou en miroir");
        return;
    }
    if !transform(&mut e, xf) {
        out.skip(format!("Entité {}", kind(&e.specific)));
        return;
    }
    out.entities.push(e);
}

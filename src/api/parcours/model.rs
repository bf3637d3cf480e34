//! The course (`produits`, spec 4.2, form of 11.4): request bodies,
//! validation, derived values (slug, 3-letter code, QR URL) and the JSON the
//! API answers.

use super::tracking::{TrackingConfig, TrackingInput};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;

/// `produits.categorie`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Categorie {
    /// Road cycling climbs.
    Cyclisme,
    /// Trail running.
    Trail,
    /// Hiking.
    Rando,
}

impl Categorie {
    /// The column value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Categorie::Cyclisme => "cyclisme",
            Categorie::Trail => "trail",
            Categorie::Rando => "rando",
        }
    }

    /// Parses the column value.
    #[must_use]
    pub fn parse(s: &str) -> Option<Categorie> {
        [Categorie::Cyclisme, Categorie::Trail, Categorie::Rando]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// The editable columns of a course (serialised under their column names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Course {
    /// URL name, unique (`?p=<slug>` of the QR page).
    pub slug: String,
    /// 3 upper-case letters, unique, used in order numbers.
    pub code: String,
    /// Display name.
    pub nom: String,
    /// Category.
    pub categorie: Categorie,
    /// Summit altitude (m).
    pub altitude: Option<i32>,
    /// Length (km).
    pub distance_km: Option<f64>,
    /// Elevation gain (m).
    pub denivele: Option<i32>,
    /// Free difficulty label.
    pub difficulte: Option<String>,
    /// Subtitle.
    pub sous_titre: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Whether the course is open.
    pub actif: bool,
    /// What the QR page shows while the course is closed.
    pub message_desactivation: Option<String>,
    /// Summit latitude.
    pub sommet_lat: Option<f64>,
    /// Summit longitude.
    pub sommet_lng: Option<f64>,
    /// Start latitude.
    pub depart_lat: Option<f64>,
    /// Start longitude.
    pub depart_lng: Option<f64>,
    /// Strava detection radius (km).
    pub rayon_km: Option<f64>,
    /// Keywords matched in Strava activity names.
    pub strava_keywords: Option<String>,
    /// Shop page of the medal.
    pub lien_boutique: Option<String>,
}

/// Default Strava detection radius (the column's DEFAULT).
pub const DEFAULT_RAYON_KM: f64 = 1.0;

impl Course {
    /// A new active course with the column defaults; slug derived from the
    /// name, code to be derived.
    pub fn new(nom: &str, categorie: Categorie) -> Course {
        Course {
            slug: slugify(nom),
            code: String::new(),
            nom: nom.to_string(),
            categorie,
            altitude: None,
            distance_km: None,
            denivele: None,
            difficulte: None,
            sous_titre: None,
            description: None,
            actif: true,
            message_desactivation: None,
            sommet_lat: None,
            sommet_lng: None,
            depart_lat: None,
            depart_lng: None,
            rayon_km: Some(DEFAULT_RAYON_KM),
            strava_keywords: None,
            lien_boutique: None,
        }
    }

    /// Normalises text fields (trimmed, empty = absent) and checks every
    /// value. The code may still be empty (it is derived afterwards).
    pub fn validate(&mut self) -> Result<()> {
        self.nom = self.nom.trim().to_string();
        check_len("nom", &self.nom, 1, 200)?;
        self.slug = self.slug.trim().to_string();
        check_slug(&self.slug)?;
        self.code = self.code.trim().to_uppercase();
        if !self.code.is_empty() && !is_code(&self.code) {
            return Err(Error::invalid(
                "Le code parcours doit faire exactement 3 lettres majuscules (A-Z), ex. IZO.",
            ));
        }
        for (name, value, max) in [
            ("difficulte", &mut self.difficulte, 30),
            ("sous_titre", &mut self.sous_titre, 300),
            ("description", &mut self.description, 10_000),
            (
                "message_desactivation",
                &mut self.message_desactivation,
                2_000,
            ),
            ("strava_keywords", &mut self.strava_keywords, 200),
            ("lien_boutique", &mut self.lien_boutique, 500),
        ] {
            *value = value
                .take()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if let Some(v) = value {
                check_len(name, v, 1, max)?;
            }
        }
        if let Some(url) = &self.lien_boutique {
            check_http_url("lien_boutique", url)?;
        }
        if !self.actif && self.message_desactivation.is_none() {
            return Err(Error::invalid(
                "Un parcours désactivé doit avoir un message de désactivation \
                 (message_desactivation), affiché sur la page QR.",
            ));
        }
        check_range("altitude", self.altitude.map(f64::from), -500.0, 9_000.0)?;
        check_range("denivele", self.denivele.map(f64::from), 0.0, 20_000.0)?;
        check_range("distance_km", self.distance_km, 0.01, 9_999.99)?;
        check_range("rayon_km", self.rayon_km, 0.01, 99.99)?;
        check_point("depart", self.depart_lat, self.depart_lng)?;
        check_point("sommet", self.sommet_lat, self.sommet_lng)?;
        Ok(())
    }
}

/// Fields of a course in a request; absent fields are left as they are, and
/// `null` clears an optional one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CourseInput {
    /// See [`Course`].
    pub slug: Option<String>,
    /// See [`Course`].
    pub code: Option<String>,
    /// See [`Course`].
    pub nom: Option<String>,
    /// See [`Course`].
    pub categorie: Option<Categorie>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub altitude: Option<Option<i32>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub distance_km: Option<Option<f64>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub denivele: Option<Option<i32>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub difficulte: Option<Option<String>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub sous_titre: Option<Option<String>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub description: Option<Option<String>>,
    /// See [`Course`].
    pub actif: Option<bool>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub message_desactivation: Option<Option<String>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub sommet_lat: Option<Option<f64>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub sommet_lng: Option<Option<f64>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub depart_lat: Option<Option<f64>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub depart_lng: Option<Option<f64>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub rayon_km: Option<Option<f64>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub strava_keywords: Option<Option<String>>,
    /// See [`Course`].
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub lien_boutique: Option<Option<String>>,
    /// The atelier of the course's athlete orders (dispatch rule, issue 8);
    /// `null` clears it.
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub atelier_defaut_id: Option<Option<u64>>,
    /// Tracking values to change; `null` resets them to the defaults.
    #[serde(default, deserialize_with = "crate::http::nullable")]
    pub tracking_config: Option<Option<TrackingInput>>,
}

impl CourseInput {
    /// Copies the given fields onto `course`.
    pub fn apply_to(&self, c: &mut Course) {
        fn set<T: Clone>(slot: &mut T, v: Option<&T>) {
            if let Some(v) = v {
                *slot = v.clone();
            }
        }
        set(&mut c.slug, self.slug.as_ref());
        set(&mut c.code, self.code.as_ref());
        set(&mut c.nom, self.nom.as_ref());
        set(&mut c.categorie, self.categorie.as_ref());
        set(&mut c.altitude, self.altitude.as_ref());
        set(&mut c.distance_km, self.distance_km.as_ref());
        set(&mut c.denivele, self.denivele.as_ref());
        set(&mut c.difficulte, self.difficulte.as_ref());
        set(&mut c.sous_titre, self.sous_titre.as_ref());
        set(&mut c.description, self.description.as_ref());
        set(&mut c.actif, self.actif.as_ref());
        set(
            &mut c.message_desactivation,
            self.message_desactivation.as_ref(),
        );
        set(&mut c.sommet_lat, self.sommet_lat.as_ref());
        set(&mut c.sommet_lng, self.sommet_lng.as_ref());
        set(&mut c.depart_lat, self.depart_lat.as_ref());
        set(&mut c.depart_lng, self.depart_lng.as_ref());
        set(&mut c.rayon_km, self.rayon_km.as_ref());
        set(&mut c.strava_keywords, self.strava_keywords.as_ref());
        set(&mut c.lien_boutique, self.lien_boutique.as_ref());
    }
}

/// A course as stored, with its read-only columns.
#[derive(Debug, Clone)]
pub struct StoredCourse {
    /// `produits.id`.
    pub id: u64,
    /// The editable columns.
    pub fields: Course,
    /// Whether the PrestaShop product is in sync.
    pub shop_synced: bool,
    /// PrestaShop product id.
    pub presta_product_id: Option<u64>,
    /// The atelier of its athlete orders when there are several (issue 8).
    pub atelier_defaut_id: Option<u64>,
    /// Stored QR URL.
    pub qr_url: Option<String>,
    /// Creation time (ISO, server time).
    pub created_at: Option<String>,
    /// Last change (ISO, server time).
    pub updated_at: Option<String>,
    /// The tracking row; `None` when it is missing (answered with the
    /// defaults, and repaired).
    pub tracking: Option<TrackingConfig>,
}

impl StoredCourse {
    /// The tracking configuration, never absent (spec 5.2: "JAMAIS null").
    pub fn tracking_config(&self) -> TrackingConfig {
        self.tracking.unwrap_or(TrackingConfig::DEFAULT)
    }

    /// The API's JSON of a course: spec column names, numbers as numbers,
    /// `tracking_config` always present. Serialised straight from the course
    /// (a list of 50 spent most of its time building a JSON tree per course).
    #[must_use]
    pub fn view(&self) -> CourseView<'_> {
        CourseView {
            id: self.id,
            fields: &self.fields,
            shop_synced: self.shop_synced,
            presta_product_id: self.presta_product_id,
            atelier_defaut_id: self.atelier_defaut_id,
            qr_url: self.qr_url.as_deref(),
            created_at: self.created_at.as_deref(),
            updated_at: self.updated_at.as_deref(),
            tracking_config: self.tracking_config(),
        }
    }

    /// [`Self::view`] as a JSON tree, for the routes that compare or extend it.
    #[must_use]
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.view()).unwrap_or(Value::Null)
    }
}

/// See [`StoredCourse::view`].
#[derive(Debug, Serialize)]
pub struct CourseView<'a> {
    id: u64,
    #[serde(flatten)]
    fields: &'a Course,
    shop_synced: bool,
    presta_product_id: Option<u64>,
    atelier_defaut_id: Option<u64>,
    qr_url: Option<&'a str>,
    created_at: Option<&'a str>,
    updated_at: Option<&'a str>,
    tracking_config: TrackingConfig,
}

/// The QR page's URL for a slug (spec 10.1: `https://chrono.../qr?p=<slug>`).
/// Slugs are `[a-z0-9-]`, so nothing needs escaping.
pub fn qr_url(app_url: &str, slug: &str) -> String {
    format!("{}/qr?p={slug}", app_url.trim_end_matches('/'))
}

/// Replaces French (and other Latin) accented letters by their base letters.
pub fn fold_accents(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        let rep = match ch {
            'à' | 'â' | 'ä' | 'á' | 'ã' | 'å' => "a",
            'À' | 'Â' | 'Ä' | 'Á' | 'Ã' | 'Å' => "A",
            'ç' => "c",
            'Ç' => "C",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'É' | 'È' | 'Ê' | 'Ë' => "E",
            'î' | 'ï' | 'í' | 'ì' => "i",
            'Î' | 'Ï' | 'Í' | 'Ì' => "I",
            'ô' | 'ö' | 'ó' | 'ò' | 'õ' => "o",
            'Ô' | 'Ö' | 'Ó' | 'Ò' | 'Õ' => "O",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'Ù' | 'Û' | 'Ü' | 'Ú' => "U",
            'ÿ' | 'ý' => "y",
            'Ÿ' | 'Ý' => "Y",
            'ñ' => "n",
            'Ñ' => "N",
            'œ' => "oe",
            'Œ' => "OE",
            'æ' => "ae",
            'Æ' => "AE",
            _ => {
                out.push(ch);
                continue;
            }
        };
        out.push_str(rep);
    }
    out
}

/// A slug from a name: `Col de l'Izoard` → `col-de-l-izoard`.
pub fn slugify(name: &str) -> String {
    let folded = fold_accents(name).to_ascii_lowercase();
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut slug = words.join("-");
    if slug.len() > 100 {
        slug.truncate(100);
        slug = slug.trim_end_matches('-').to_string();
    }
    slug
}

/// Whether `s` is a course code: exactly 3 letters A-Z.
pub fn is_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// Derives a free 3-letter code from a name. First choice: the first three
/// letters of the name (`Mont Ventoux` → `MON`); when taken, the first three
/// letters of each later word (`Col du Galibier` → `GAL`, since `COL` is
/// usually taken), then the first letter followed by two later letters in
/// order, then any free code. `None` only if all 17,576 codes are used.
pub fn derive_code(name: &str, taken: &HashSet<String>) -> Option<String> {
    let folded = fold_accents(name).to_ascii_uppercase();
    let words: Vec<Vec<u8>> = folded
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .map(|w| w.as_bytes().to_vec())
        .collect();
    let letters: Vec<u8> = words.concat();
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    if letters.len() >= 3 {
        candidates.push(letters[..3].to_vec());
    }
    for w in words.iter().skip(1).filter(|w| w.len() >= 3) {
        candidates.push(w[..3].to_vec());
    }
    if let Some(&first) = letters.first() {
        for i in 1..letters.len() {
            for j in i + 1..letters.len() {
                candidates.push(vec![first, letters[i], letters[j]]);
            }
        }
    }
    let free = |c: &Vec<u8>| {
        let s = String::from_utf8(c.clone()).expect("ASCII letters");
        (!taken.contains(&s)).then_some(s)
    };
    candidates.iter().find_map(free).or_else(|| {
        (b'A'..=b'Z')
            .flat_map(|a| {
                (b'A'..=b'Z').flat_map(move |b| (b'A'..=b'Z').map(move |c| vec![a, b, c]))
            })
            .find_map(|c| free(&c))
    })
}

fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min {
        return Err(Error::invalid(format!("Le champ {field} est obligatoire.")));
    }
    if n > max {
        return Err(Error::invalid(format!(
            "Le champ {field} dépasse {max} caractères."
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Error::invalid(format!(
            "Le champ {field} contient des caractères de contrôle."
        )));
    }
    Ok(())
}

fn check_slug(slug: &str) -> Result<()> {
    let well_formed = (2..=100).contains(&slug.len())
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if well_formed {
        Ok(())
    } else {
        Err(Error::invalid(
            "Le slug doit faire 2 à 100 caractères : lettres minuscules sans accent, chiffres \
             et tirets simples (ex. col-izoard).",
        ))
    }
}

fn check_range(field: &str, value: Option<f64>, min: f64, max: f64) -> Result<()> {
    match value {
        Some(v) if !(v.is_finite() && v >= min && v <= max) => Err(Error::invalid(format!(
            "Le champ {field} doit être compris entre {min} et {max}."
        ))),
        _ => Ok(()),
    }
}

/// Checks a (lat, lng) pair: both or neither, each in range.
pub fn check_point(which: &str, lat: Option<f64>, lng: Option<f64>) -> Result<()> {
    match (lat, lng) {
        (None, None) => Ok(()),
        (Some(lat), Some(lng)) => {
            if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
                return Err(Error::invalid(format!(
                    "{which}_lat doit être une latitude entre -90 et 90."
                )));
            }
            if !(lng.is_finite() && (-180.0..=180.0).contains(&lng)) {
                return Err(Error::invalid(format!(
                    "{which}_lng doit être une longitude entre -180 et 180."
                )));
            }
            Ok(())
        }
        _ => Err(Error::invalid(format!(
            "{which}_lat et {which}_lng vont ensemble : donnez les deux, ou aucun."
        ))),
    }
}

/// Checks an absolute http(s) URL without spaces or control characters.
pub fn check_http_url(field: &str, url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let ok = host.is_some_and(|h| !h.is_empty() && !h.starts_with(':'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "{field} doit être une adresse http:// ou https:// valide."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_accents() {
        assert_eq!(slugify("Col de l'Izoard"), "col-de-l-izoard");
        assert_eq!(
            slugify("  Alpe d’Huez — 21 virages "),
            "alpe-d-huez-21-virages"
        );
        assert_eq!(slugify("Œuvre été"), "oeuvre-ete");
        assert!(check_slug("col-izoard").is_ok());
        assert!(check_slug("Col-Izoard").is_err());
        assert!(check_slug("col--izoard").is_err());
        assert!(check_slug("-col").is_err());
        assert!(check_slug("x").is_err());
        assert!(check_slug("col_izoard").is_err());
    }

    #[test]
    fn codes_are_derived_and_unique() {
        let mut taken = HashSet::new();
        assert_eq!(derive_code("Col de l'Izoard", &taken).unwrap(), "COL");
        taken.insert("COL".to_string());
        assert_eq!(derive_code("Col du Galibier", &taken).unwrap(), "GAL");
        assert_eq!(derive_code("Écrins", &taken).unwrap(), "ECR");
        taken.insert("GAL".to_string());
        let c = derive_code("Col du Galibier", &taken).unwrap();
        assert_eq!(c, "COD");
        // Too short a name still gets a code.
        let c = derive_code("Ré", &HashSet::new()).unwrap();
        assert!(is_code(&c));
        let all: HashSet<String> = (b'A'..=b'Z')
            .flat_map(|a| {
                (b'A'..=b'Z').flat_map(move |b| {
                    (b'A'..=b'Z').map(move |c| String::from_utf8(vec![a, b, c]).unwrap())
                })
            })
            .collect();
        assert_eq!(derive_code("Izoard", &all), None);
    }

    #[test]
    fn course_validation() {
        let mut c = Course::new("Col de l'Izoard", Categorie::Cyclisme);
        c.code = "izo".into();
        c.validate().unwrap();
        assert_eq!(c.code, "IZO");
        c.depart_lat = Some(95.0);
        c.depart_lng = Some(6.0);
        assert!(c.validate().is_err());
        c.depart_lat = Some(44.0);
        c.depart_lng = None;
        assert!(c.validate().is_err());
        c.depart_lng = Some(6.6);
        c.validate().unwrap();
        c.actif = false;
        c.message_desactivation = Some("   ".into());
        assert!(c.validate().is_err());
        c.message_desactivation = Some("Col fermé".into());
        c.validate().unwrap();
        c.lien_boutique = Some("javascript:alert(1)".into());
        assert!(c.validate().is_err());
        c.lien_boutique = Some("https://shop.mykollector.com/izoard".into());
        c.validate().unwrap();
        c.code = "IZ0".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn urls() {
        assert!(check_http_url("u", "http://127.0.0.1:8080/hook").is_ok());
        assert!(check_http_url("u", "https://example.fr").is_ok());
        assert!(check_http_url("u", "ftp://example.fr").is_err());
        assert!(check_http_url("u", "https://").is_err());
        assert!(check_http_url("u", "https://a b").is_err());
        assert_eq!(
            qr_url("https://chrono.mykollector.com/", "col-izoard"),
            "https://chrono.mykollector.com/qr?p=col-izoard"
        );
    }
}

//! Demo courses: five famous French cycling climbs, a trail, a hike and a
//! closed pass, with their real start and summit coordinates.

use super::model::qr_url;
use super::queries;
use super::tracking::TrackingConfig;
use crate::config::Config;
use crate::error::Result;
use mysql::prelude::Queryable;
use mysql::{params, Conn};

/// Slugs of the demo courses the other modules' demo data refer to.
pub mod slugs {
    /// Col de l'Izoard from Briançon.
    pub const IZOARD: &str = "col-izoard";
    /// Col du Galibier from Valloire.
    pub const GALIBIER: &str = "col-du-galibier";
    /// Mont Ventoux from Bédoin.
    pub const VENTOUX: &str = "mont-ventoux";
    /// Col du Tourmalet from Luz-Saint-Sauveur.
    pub const TOURMALET: &str = "col-du-tourmalet";
}

/// One demo course.
struct Demo {
    slug: &'static str,
    code: &'static str,
    nom: &'static str,
    categorie: &'static str,
    altitude: i32,
    distance_km: f64,
    denivele: i32,
    difficulte: &'static str,
    sous_titre: &'static str,
    description: &'static str,
    depart: (f64, f64),
    sommet: (f64, f64),
    strava_keywords: &'static str,
    message_desactivation: Option<&'static str>,
    tracking: Option<TrackingConfig>,
}

const DEMOS: &[Demo] = &[
    Demo {
        slug: slugs::IZOARD,
        code: "IZO",
        nom: "Col de l'Izoard",
        categorie: "cyclisme",
        altitude: 2360,
        distance_km: 19.0,
        denivele: 1105,
        difficulte: "Hors catégorie",
        sous_titre: "Depuis Briançon, par Cervières",
        description: "La montée mythique du Queyras, du Champ de Mars de Briançon au \
                      monument Coppi-Bobet du sommet.",
        depart: (44.8893, 6.6434),
        sommet: (44.8200, 6.7350),
        strava_keywords: "izoard,col de l'izoard",
        message_desactivation: None,
        tracking: None,
    },
    Demo {
        slug: slugs::GALIBIER,
        code: "GAL",
        nom: "Col du Galibier",
        categorie: "cyclisme",
        altitude: 2642,
        distance_km: 18.1,
        denivele: 1245,
        difficulte: "Hors catégorie",
        sous_titre: "Depuis Valloire, par Plan Lachat",
        description: "Le toit des Alpes du Tour de France, de Valloire au tunnel puis au \
                      sommet par la route historique.",
        depart: (45.1650, 6.4280),
        sommet: (45.0640, 6.4078),
        strava_keywords: "galibier,col du galibier",
        message_desactivation: None,
        tracking: None,
    },
    Demo {
        slug: slugs::VENTOUX,
        code: "VEN",
        nom: "Mont Ventoux",
        categorie: "cyclisme",
        altitude: 1910,
        distance_km: 21.5,
        denivele: 1610,
        difficulte: "Hors catégorie",
        sous_titre: "Depuis Bédoin, par le Chalet Reynard",
        description: "Le Géant de Provence par sa face la plus célèbre : la forêt, puis les \
                      pierriers lunaires jusqu'à l'observatoire.",
        depart: (44.1240, 5.1790),
        sommet: (44.1741, 5.2786),
        strava_keywords: "ventoux,mont ventoux,bédoin",
        message_desactivation: None,
        tracking: None,
    },
    Demo {
        slug: slugs::TOURMALET,
        code: "TOU",
        nom: "Col du Tourmalet",
        categorie: "cyclisme",
        altitude: 2115,
        distance_km: 19.0,
        denivele: 1404,
        difficulte: "Hors catégorie",
        sous_titre: "Depuis Luz-Saint-Sauveur, par Barèges",
        description: "Le géant des Pyrénées, de Luz-Saint-Sauveur à la statue du Géant du \
                      Tourmalet.",
        depart: (42.8720, 0.0040),
        sommet: (42.9086, 0.1447),
        strava_keywords: "tourmalet,col du tourmalet",
        message_desactivation: None,
        tracking: None,
    },
    Demo {
        slug: "alpe-d-huez",
        code: "ALP",
        nom: "Alpe d'Huez",
        categorie: "cyclisme",
        altitude: 1850,
        distance_km: 13.8,
        denivele: 1120,
        difficulte: "Hors catégorie",
        sous_titre: "Les 21 virages depuis Le Bourg-d'Oisans",
        description: "Vingt et un lacets numérotés, chacun dédié à un vainqueur d'étape du \
                      Tour de France.",
        depart: (45.0550, 6.0310),
        sommet: (45.0920, 6.0700),
        strava_keywords: "alpe d'huez,alpe huez,21 virages",
        message_desactivation: None,
        tracking: None,
    },
    Demo {
        slug: "km-vertical-chamonix",
        code: "KVC",
        nom: "Kilomètre Vertical de Chamonix",
        categorie: "trail",
        altitude: 2000,
        distance_km: 3.8,
        denivele: 1000,
        difficulte: "Très difficile",
        sous_titre: "De l'église de Chamonix à Planpraz",
        description: "Mille mètres de dénivelé en moins de quatre kilomètres, face au massif \
                      du Mont-Blanc.",
        depart: (45.9237, 6.8694),
        sommet: (45.9310, 6.8480),
        strava_keywords: "kv chamonix,kilomètre vertical,planpraz",
        message_desactivation: None,
        // A short, steep course in a narrow valley: wake up late, pulse
        // often, and a tight finish zone.
        tracking: Some(TrackingConfig {
            wake_distance_m: 800,
            high_accuracy_start_distance_m: 60,
            pulse_high_accuracy_duration_s: 5,
            pulse_low_accuracy_duration_s: 20,
            finish_high_accuracy_distance_m: 120,
            cooldown_distance_m: 60,
            cooldown_time_s: 30,
        }),
    },
    Demo {
        slug: "cirque-de-gavarnie",
        code: "GAV",
        nom: "Cirque de Gavarnie",
        categorie: "rando",
        altitude: 1570,
        distance_km: 5.5,
        denivele: 220,
        difficulte: "Facile",
        sous_titre: "Du village à l'Hôtellerie du Cirque",
        description: "La randonnée familiale au pied de la Grande Cascade, classée au \
                      patrimoine mondial de l'UNESCO.",
        depart: (42.7335, -0.0095),
        sommet: (42.6985, -0.0090),
        strava_keywords: "gavarnie,cirque de gavarnie",
        message_desactivation: None,
        tracking: None,
    },
    Demo {
        slug: "col-bonette",
        code: "BON",
        nom: "Col de la Bonette",
        categorie: "cyclisme",
        altitude: 2802,
        distance_km: 24.1,
        denivele: 1589,
        difficulte: "Hors catégorie",
        sous_titre: "Depuis Jausiers, jusqu'à la Cime de la Bonette",
        description: "La route goudronnée la plus haute de France, fermée l'hiver.",
        depart: (44.4176, 6.7298),
        sommet: (44.3210, 6.8070),
        strava_keywords: "bonette,cime de la bonette",
        message_desactivation: Some(
            "La route de la Bonette est fermée (enneigement) jusqu'à fin mai : les chronos \
             reprendront à la réouverture du col.",
        ),
        tracking: None,
    },
];

/// Seeds the demo courses and their tracking rows. Idempotent: rows are
/// matched on their slug and refreshed.
pub fn seed_demo(conn: &mut Conn, config: &Config) -> Result<()> {
    for d in DEMOS {
        conn.exec_drop(
            r"INSERT INTO produits
                (slug, code, nom, categorie, altitude, distance_km, denivele, difficulte,
                 sous_titre, description, actif, message_desactivation, sommet_lat, sommet_lng,
                 depart_lat, depart_lng, rayon_km, strava_keywords, lien_boutique, qr_url)
              VALUES
                (:slug, :code, :nom, :categorie, :altitude, :distance_km, :denivele, :difficulte,
                 :sous_titre, :description, :actif, :message, :sommet_lat, :sommet_lng,
                 :depart_lat, :depart_lng, 1.0, :keywords, :lien, :qr_url)
              ON DUPLICATE KEY UPDATE
                nom = VALUES(nom), categorie = VALUES(categorie), altitude = VALUES(altitude),
                distance_km = VALUES(distance_km), denivele = VALUES(denivele),
                difficulte = VALUES(difficulte), sous_titre = VALUES(sous_titre),
                description = VALUES(description), actif = VALUES(actif),
                message_desactivation = VALUES(message_desactivation),
                sommet_lat = VALUES(sommet_lat), sommet_lng = VALUES(sommet_lng),
                depart_lat = VALUES(depart_lat), depart_lng = VALUES(depart_lng),
                strava_keywords = VALUES(strava_keywords), lien_boutique = VALUES(lien_boutique),
                qr_url = VALUES(qr_url)",
            params! {
                "slug" => d.slug,
                "code" => d.code,
                "nom" => d.nom,
                "categorie" => d.categorie,
                "altitude" => d.altitude,
                "distance_km" => d.distance_km,
                "denivele" => d.denivele,
                "difficulte" => d.difficulte,
                "sous_titre" => d.sous_titre,
                "description" => d.description,
                "actif" => d.message_desactivation.is_none(),
                "message" => d.message_desactivation,
                "sommet_lat" => d.sommet.0,
                "sommet_lng" => d.sommet.1,
                "depart_lat" => d.depart.0,
                "depart_lng" => d.depart.1,
                "keywords" => d.strava_keywords,
                "lien" => format!("https://shop.mykollector.com/medailles/{}", d.slug),
                "qr_url" => qr_url(&config.app_url, d.slug),
            },
        )?;
        let id: Option<u64> =
            conn.exec_first("SELECT id FROM produits WHERE slug = ?", (d.slug,))?;
        let Some(id) = id else { continue };
        queries::upsert_tracking(conn, id, &d.tracking.unwrap_or(TrackingConfig::DEFAULT))?;
    }
    println!("Demo courses: {} (one closed: col-bonette)", DEMOS.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::parcours::model::{is_code, Categorie, Course};

    #[test]
    fn demo_courses_are_valid() {
        for d in DEMOS {
            let mut c = Course::new(d.nom, Categorie::parse(d.categorie).unwrap());
            c.slug = d.slug.into();
            c.code = d.code.into();
            c.altitude = Some(d.altitude);
            c.distance_km = Some(d.distance_km);
            c.denivele = Some(d.denivele);
            c.depart_lat = Some(d.depart.0);
            c.depart_lng = Some(d.depart.1);
            c.sommet_lat = Some(d.sommet.0);
            c.sommet_lng = Some(d.sommet.1);
            c.actif = d.message_desactivation.is_none();
            c.message_desactivation = d.message_desactivation.map(str::to_string);
            c.validate().unwrap_or_else(|e| panic!("{}: {e}", d.slug));
            assert!(is_code(d.code));
            if let Some(t) = d.tracking {
                t.check_coherence().unwrap();
            }
        }
    }
}

-- MyKollector schema, migration 0002: catalogue rows every installation needs.
--
-- Same rules as 0001: statements end with a semicolon at the end of a line,
-- and no string or comment contains a semicolon followed by a newline.
-- The codes are stable identifiers used by the code, the labels (French) are
-- what the users see and may be edited from the back-office.

-- Defect types offered when a workshop reports a non-conformity.
INSERT INTO types_defauts (code, libelle, actif) VALUES
  ('rayure', 'Rayure', TRUE),
  ('erreur_texte', 'Erreur de texte', TRUE),
  ('gravure_decalee', 'Gravure décalée', TRUE),
  ('medaille_endommagee', 'Médaille endommagée', TRUE),
  ('profondeur_insuffisante', 'Profondeur insuffisante', TRUE),
  ('autre', 'Autre', TRUE);

-- Defect causes.
INSERT INTO causes_defauts (code, libelle, actif) VALUES
  ('reglage_laser', 'Réglage laser', TRUE),
  ('matiere_premiere', 'Matière première', TRUE),
  ('manipulation', 'Manipulation', TRUE),
  ('erreur_saisie', 'Erreur de saisie', TRUE),
  ('transport', 'Transport', TRUE),
  ('autre', 'Autre', TRUE);

-- Default reminder thresholds. Types:
--   chrono_attente_validation: a chrono still in attente_validation after N days
--   gravure_non_validee: an order waiting for the athlete's engraving validation
-- Template variables: {{prenom}} {{col}} {{chrono}} {{jours}}
INSERT INTO relance_seuils (type, jours, sujet, message_template, actif) VALUES
  ('chrono_attente_validation', 3,
   'Votre chrono sur {{col}} attend votre validation',
   'Bonjour {{prenom}},

Votre chrono de {{chrono}} sur {{col}} attend votre validation depuis {{jours}} jours.
Validez-le dans votre espace MyKollector pour pouvoir commander et graver votre médaille.

Sportivement,
L''équipe MyKollector', TRUE),
  ('chrono_attente_validation', 7,
   'Dernier rappel : votre chrono sur {{col}}',
   'Bonjour {{prenom}},

Cela fait maintenant {{jours}} jours que votre chrono de {{chrono}} sur {{col}} attend votre validation.
Pensez à le valider dans votre espace MyKollector : votre exploit mérite sa médaille !

Sportivement,
L''équipe MyKollector', TRUE),
  ('gravure_non_validee', 3,
   'Votre médaille {{col}} attend votre validation',
   'Bonjour {{prenom}},

Votre médaille {{col}} ({{chrono}}) est prête à partir en gravure, mais nous attendons votre validation des informations de gravure depuis {{jours}} jours.
Vérifiez votre nom, votre temps et la date dans votre espace MyKollector, puis validez.

Sportivement,
L''équipe MyKollector', TRUE),
  ('gravure_non_validee', 7,
   'Rappel : validez la gravure de votre médaille {{col}}',
   'Bonjour {{prenom}},

La gravure de votre médaille {{col}} ({{chrono}}) est en attente de votre validation depuis {{jours}} jours.
Nous ne lançons jamais une gravure sans votre accord : rendez-vous dans votre espace MyKollector pour confirmer les informations.

Sportivement,
L''équipe MyKollector', TRUE);

-- Singleton configuration rows (id = 1): the code only ever UPDATEs them.
-- Defaults follow spec 7.2 and 7.3 (states 2, 4, 24 and B2B group 4).
INSERT INTO prestashop_config (id, url) VALUES (1, 'https://shop.mykollector.com');

INSERT INTO strava_config (id) VALUES (1);

// The athlete space's header and guard (dark mode, phone first).
import { space } from "../assets/js/shell.js";

export const ATHLETE_LINKS = [
  ["./", "Tableau de bord", "medal"],
  ["historique.html", "Historique", "history"],
  ["saisie.html", "Saisir un temps", "clock"],
  ["strava.html", "Strava", "bolt"],
];

export function athleteSpace(active, onReady) {
  space({ title: "Mon espace sportif", roles: ["sportif"], links: ATHLETE_LINKS, active, signinLink: true, profile: "profil.html" }, onReady);
}

//! The part of `regex::bytes` that `mysql_common` uses, on `regex-lite`.
//!
//! `mysql_common` compiles two server-version patterns at every MySQL
//! handshake: with `regex` that is about 2.3 M instructions, nearly all of
//! what a CGI request of ours costs (`scripts/bench.sh`, instructions per
//! request). `regex-lite`, by the same authors, compiles small patterns
//! without Unicode tables or literal optimisers. The top `Cargo.toml`
//! patches crates.io's `regex` with this crate; a crate that needs more of
//! `regex` fails to build, it does not silently get less.
//!
//! The haystacks `mysql_common` matches are server versions and date/time
//! text: ASCII. A haystack that is not UTF-8 does not match, which is also
//! what its patterns (digits, `-MariaDB`) say of it.

pub use regex_lite::Error;

pub mod bytes {
    //! `regex::bytes::Regex`, for the calls `mysql_common` makes.

    use std::str;

    /// A compiled pattern, matched against bytes.
    #[derive(Debug, Clone)]
    pub struct Regex(regex_lite::Regex);

    impl Regex {
        /// Compiles `pattern` (regex-lite syntax: the `regex` syntax without
        /// Unicode classes; `\d` is ASCII).
        ///
        /// # Errors
        /// When the pattern does not parse.
        pub fn new(pattern: &str) -> Result<Regex, crate::Error> {
            regex_lite::Regex::new(pattern).map(Regex)
        }

        /// Whether the pattern matches somewhere in `haystack`.
        #[must_use]
        pub fn is_match(&self, haystack: &[u8]) -> bool {
            str::from_utf8(haystack).is_ok_and(|text| self.0.is_match(text))
        }

        /// The groups of the leftmost match in `haystack`, if any.
        #[must_use]
        pub fn captures<'h>(&self, haystack: &'h [u8]) -> Option<Captures<'h>> {
            self.0
                .captures(str::from_utf8(haystack).ok()?)
                .map(Captures)
        }
    }

    /// The groups of one match.
    #[derive(Debug)]
    pub struct Captures<'h>(regex_lite::Captures<'h>);

    impl<'h> Captures<'h> {
        /// Group `i` (0: the whole match), if it took part in the match.
        #[must_use]
        pub fn get(&self, i: usize) -> Option<Match<'h>> {
            self.0.get(i).map(|m| Match(m.as_str()))
        }
    }

    /// The text of one group.
    #[derive(Debug, Clone, Copy)]
    pub struct Match<'h>(&'h str);

    impl<'h> Match<'h> {
        /// The matched bytes.
        #[must_use]
        pub fn as_bytes(&self) -> &'h [u8] {
            self.0.as_bytes()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::Regex;

        // mysql_common's own patterns (packets/mod.rs), on what MariaDB and
        // MySQL send in their handshake.
        const MARIADB: &str = r"^(?:5.5.5-)?(\d{1,2})\.(\d{1,2})\.(\d{1,3})-MariaDB";
        const VERSION: &str = r"^(\d{1,2})\.(\d{1,2})\.(\d{1,3})(.*)";

        // What mysql_common does with the groups: each parsed as a number.
        fn version(pattern: &str, haystack: &[u8]) -> Option<(u16, u16, u16)> {
            let caps = Regex::new(pattern).unwrap().captures(haystack)?;
            let part = |i| {
                let digits = caps.get(i).unwrap().as_bytes();
                std::str::from_utf8(digits).unwrap().parse().unwrap()
            };
            Some((part(1), part(2), part(3)))
        }

        #[test]
        fn server_versions_parse_as_mysql_common_expects() {
            let maria = b"5.5.5-10.11.6-MariaDB-0+deb12u1";
            assert_eq!(version(MARIADB, maria), Some((10, 11, 6)));
            assert_eq!(version(MARIADB, b"11.4.4-MariaDB-log"), Some((11, 4, 4)));
            assert_eq!(
                version(VERSION, b"8.0.36-0ubuntu0.22.04.1"),
                Some((8, 0, 36))
            );
            assert_eq!(version(MARIADB, b"8.0.36"), None);
        }

        #[test]
        fn non_ascii_digits_and_non_utf8_do_not_match() {
            let re = Regex::new(r"^\d{4}-\d{2}-\d{2}$").unwrap();
            assert!(re.is_match(b"2026-12-03"));
            assert!(!re.is_match("٢٠٢٦-12-03".as_bytes()));
            assert!(!re.is_match(b"2026-12-\xff3"));
            assert!(re.captures(b"\xff").is_none());
        }
    }
}

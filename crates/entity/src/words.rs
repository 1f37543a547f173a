//! Whole-word search for a set of terms, ignoring case: the check behind
//! forbidden-term rules. The terms are compiled once into one automaton, so
//! a text is lowercased once and read once for all of them.

use aho_corasick::AhoCorasick;

/// A set of terms matched in texts as whole words (not inside a longer
/// word), ignoring case. Terms may be several words (`steam engine`).
#[derive(Debug, Clone)]
pub struct WordSet {
    /// Finds the lowercased non-empty terms anywhere in a lowercased text.
    automaton: AhoCorasick,
    /// For each pattern of the automaton, the position of its term in the
    /// set as given.
    terms: Vec<usize>,
    /// How many terms were given (empty ones included).
    given: usize,
}

impl WordSet {
    /// Compiles `terms`. An empty term never matches.
    ///
    /// # Errors
    /// The terms are too many or too long to compile.
    pub fn new<S: AsRef<str>>(terms: &[S]) -> Result<Self, String> {
        let (patterns, positions): (Vec<String>, Vec<usize>) = terms
            .iter()
            .enumerate()
            .filter(|(_, term)| !term.as_ref().is_empty())
            .map(|(at, term)| (term.as_ref().to_lowercase(), at))
            .unzip();
        let automaton = AhoCorasick::new(&patterns)
            .map_err(|err| format!("the terms cannot be compiled: {err}"))?;
        Ok(Self {
            automaton,
            terms: positions,
            given: terms.len(),
        })
    }

    /// Positions (in the order the terms were given) of the terms that
    /// occur in `text` as whole words.
    pub fn found_in(&self, text: &str) -> Vec<usize> {
        let text = text.to_lowercase();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        let mut found = vec![false; self.given];
        for hit in self.automaton.find_overlapping_iter(&text) {
            if boundary(text[..hit.start()].chars().next_back())
                && boundary(text[hit.end()..].chars().next())
            {
                found[self.terms[hit.pattern().as_usize()]] = true;
            }
        }
        found
            .iter()
            .enumerate()
            .filter_map(|(at, &hit)| hit.then_some(at))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(terms: &[&str], text: &str) -> Vec<usize> {
        WordSet::new(terms)
            .map(|set| set.found_in(text))
            .unwrap_or_default()
    }

    #[test]
    fn terms_match_whole_words_in_any_case() {
        assert_eq!(found(&["musket"], "A Musket!"), [0]);
        assert_eq!(found(&["electric"], "electrical"), Vec::<usize>::new());
        assert_eq!(found(&["steamboat"], "steamboats"), Vec::<usize>::new());
        assert_eq!(found(&["steam engine"], "a Steam Engine"), [0]);
        assert_eq!(found(&["ÉPÉE"], "une épée"), [0]);
    }

    #[test]
    fn every_term_found_is_reported_once_in_the_given_order() {
        let terms = ["rifle", "", "gun", "gunpowder", "powder"];
        // "gunpowder" holds "gun" and "powder", but not as whole words.
        assert_eq!(found(&terms, "gunpowder, a gun, a rifle, a gun"), [0, 2, 3]);
        assert_eq!(found(&terms, ""), Vec::<usize>::new());
        assert_eq!(found(&[] as &[&str], "anything"), Vec::<usize>::new());
    }

    #[test]
    fn a_term_inside_a_longer_match_is_still_found() {
        // Overlapping matches: "new york" and "york" both start near here.
        assert_eq!(found(&["new york", "york"], "in new york"), [0, 1]);
        assert_eq!(
            found(&["new york", "york"], "in newyork"),
            Vec::<usize>::new()
        );
    }
}

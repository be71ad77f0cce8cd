//! Pattern matching of visa condition values (GA4GH Passport v1, "Pattern Matching"): full
//! string, case-sensitive; `?` matches one character, `*` any run of characters (also none);
//! there is no escape character.

/// Whether `input` matches `pattern` in full.
pub fn pattern_matches(pattern: &str, input: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = input.chars().collect();
    // Greedy matching with backtracking to the last `*`: linear in practice, never exponential.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == s.get(si) => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::pattern_matches as m;

    #[test]
    fn literal_characters_match_exactly_and_case_sensitively() {
        assert!(m("faculty@uni.example", "faculty@uni.example"));
        assert!(!m("faculty@uni.example", "Faculty@uni.example"));
        assert!(!m("faculty", "faculty@uni.example"));
        assert!(!m("faculty@uni.example", "faculty"));
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        assert!(m("example?.org", "example1.org"));
        assert!(!m("example?.org", "example.org"));
        assert!(!m("example?.org", "example12.org"));
    }

    #[test]
    fn star_is_any_run_including_none() {
        assert!(m("faculty@*", "faculty@"));
        assert!(m("faculty@*", "faculty@med.uni.example"));
        assert!(m("*", ""));
        assert!(m("*@*.example", "member@dept.uni.example"));
        assert!(!m("*@*.example", "member@uni.org"));
        assert!(m("a*b*c", "aXXbYYbZZc"));
        assert!(!m("a*b*c", "aXXbYYbZZ"));
    }

    #[test]
    fn the_specifications_split_pattern_example_part_matches() {
        assert!(m("123,https:%2F%2Fexample?.org", "123,https:%2F%2Fexample2.org"));
    }
}

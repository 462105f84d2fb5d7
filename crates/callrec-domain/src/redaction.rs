//! What must not be kept of what was said (issue 28): card numbers — 13
//! to 19 digits passing the Luhn check, said as figures or as words,
//! across pauses and fillers — and the 3 or 4 digits said after
//! "security code", "CVV", "CVC" or "expiry". Pure: it reads a
//! transcript's words and says which to replace with `[card number]`: a
//! run of number words holding a card number goes whole.
//!
//! Engines mishear digits: tiny.en heard "5136 7913 5679 1319" as the 15
//! digits "516791356791319" in 1 CI run of about 10, and "four" as "for".
//! So a run of 13 digits or more not beginning with 0 is redacted whether
//! or not it passes the check (a card number read back one digit wrong is still the card
//! holder's), and "for", "to", "too", "ate" and "won" count as digits
//! between two number words.

/// What a transcript's redacted span is written as.
pub const REDACTED: &str = "[card number]";

/// The fewest and most digits of a card number (ISO/IEC 7812).
const CARD_DIGITS: std::ops::RangeInclusive<usize> = 13..=19;
/// Words that may sit between the digits of one number ("four one, uh,
/// one one"): at most this many in a row.
const MAX_FILLERS: usize = 2;
/// How many words after "security code" its digits may start.
const CODE_WITHIN_WORDS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedactionKind {
    CardNumber,
    /// The digits said after "security code", "CVV", "CVC" or "expiry".
    SecurityCode,
}

/// Words `first..=last` of a transcript are to be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redaction {
    pub first: usize,
    pub last: usize,
    pub kind: RedactionKind,
}

/// The digits a spoken or written word stands for: `four` → `4`,
/// `forty` → `40` (or with a unit after it, `forty one` → `41`, decided by
/// the caller), `4111.` → `4111`, `oh` → `0`; `None` for other words.
fn digits_of(word: &str) -> Option<Spoken> {
    // Any punctuation (dashes of every kind, dots, slashes) only
    // separates figures.
    let word: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) {
        return Some(Spoken::Figures(word));
    }
    let unit = match word.as_str() {
        "zero" | "oh" | "o" | "nought" => Some(0),
        "one" => Some(1),
        "two" => Some(2),
        "three" => Some(3),
        "four" => Some(4),
        "five" => Some(5),
        "six" => Some(6),
        "seven" => Some(7),
        "eight" => Some(8),
        "nine" => Some(9),
        _ => None,
    };
    if let Some(unit) = unit {
        return Some(Spoken::Unit(unit));
    }
    let teen = [
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ]
    .iter()
    .position(|t| *t == word);
    if let Some(teen) = teen {
        return Some(Spoken::Figures(format!("{}", 10 + teen)));
    }
    let tens = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ]
    .iter()
    .position(|t| *t == word);
    if let Some(tens) = tens {
        return Some(Spoken::Tens(2 + tens as u8));
    }
    match word.as_str() {
        "double" => Some(Spoken::Repeat(2)),
        "triple" => Some(Spoken::Repeat(3)),
        _ => None,
    }
}

/// One word's part in a number.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Spoken {
    Figures(String),
    Unit(u8),
    /// `forty`: `4`, and `0` unless a unit follows.
    Tens(u8),
    /// `double four`: the next digit twice.
    Repeat(usize),
}

/// A word an engine writes for a digit it misheard ("for" for "four"),
/// taken as that digit only between two number words.
fn homophone(word: &str) -> Option<Spoken> {
    let word: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    match word.as_str() {
        "won" => Some(Spoken::Unit(1)),
        "to" | "too" => Some(Spoken::Unit(2)),
        "for" | "fore" => Some(Spoken::Unit(4)),
        "ate" => Some(Spoken::Unit(8)),
        _ => None,
    }
}

/// Words said between a number's digits without ending it.
fn is_filler(word: &str) -> bool {
    let word: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    matches!(
        word.as_str(),
        "" | "uh" | "um" | "er" | "erm" | "ah" | "and" | "then" | "dash" | "space"
    )
}

/// A run of words that read as one number: each digit with the word it
/// came from.
struct Run {
    digits: Vec<(u8, usize)>,
}

/// The numbers said in `words`: runs of number words, joined across
/// fillers and pauses.
fn runs(words: &[&str]) -> Vec<Run> {
    let mut runs = Vec::new();
    let mut current: Vec<(u8, usize)> = Vec::new();
    let mut fillers = 0;
    let mut repeat = 1;
    let mut pending_tens: Option<(u8, usize)> = None;
    let flush_tens = |current: &mut Vec<(u8, usize)>, pending: &mut Option<(u8, usize)>| {
        if let Some((tens, at)) = pending.take() {
            current.extend([(tens, at), (0, at)]);
        }
    };
    for (index, word) in words.iter().enumerate() {
        let heard = digits_of(word).or_else(|| {
            let between =
                !current.is_empty() && words.get(index + 1).and_then(|w| digits_of(w)).is_some();
            between.then(|| homophone(word)).flatten()
        });
        match heard {
            Some(spoken) => {
                fillers = 0;
                match spoken {
                    Spoken::Unit(unit) => match pending_tens.take() {
                        Some((tens, at)) => current.extend([(tens, at), (unit, index)]),
                        None => current.extend(std::iter::repeat_n((unit, index), repeat)),
                    },
                    Spoken::Figures(figures) => {
                        flush_tens(&mut current, &mut pending_tens);
                        let digits = figures.bytes().map(|b| (b - b'0', index));
                        if repeat > 1 && figures.len() == 1 {
                            current.extend(digits.cycle().take(repeat));
                        } else {
                            current.extend(digits);
                        }
                    }
                    Spoken::Tens(tens) => {
                        flush_tens(&mut current, &mut pending_tens);
                        pending_tens = Some((tens, index));
                    }
                    Spoken::Repeat(times) => {
                        flush_tens(&mut current, &mut pending_tens);
                        repeat = times;
                        continue;
                    }
                }
                repeat = 1;
            }
            None if is_filler(word) && fillers < MAX_FILLERS && !current.is_empty() => {
                fillers += 1;
            }
            None => {
                flush_tens(&mut current, &mut pending_tens);
                if !current.is_empty() {
                    runs.push(Run {
                        digits: std::mem::take(&mut current),
                    });
                }
                fillers = 0;
                repeat = 1;
            }
        }
    }
    flush_tens(&mut current, &mut pending_tens);
    if !current.is_empty() {
        runs.push(Run { digits: current });
    }
    runs
}

/// The Luhn check (ISO/IEC 7812-1 annex B).
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Whether `run` holds a card number: it is 13 digits long or more and
/// does not begin with 0 as phone numbers dialled abroad do ("0044…"; no
/// card's issuer number does), the check not asked (see the module's
/// note: a misheard card followed by its expiry is 20 digits no window of
/// which passes); or 13 to 19 of its digits,
/// beginning and ending with a word's digits, pass the Luhn check. Then
/// the whole run is redacted — an engine that hears an extra digit or two
/// must not leave the rest of the number in the transcript.
fn holds_card(run: &Run) -> bool {
    let digits = &run.digits;
    if digits.len() >= *CARD_DIGITS.start() && digits[0].0 != 0 {
        return true;
    }
    let starts = (0..digits.len()).filter(|&i| i == 0 || digits[i - 1].1 != digits[i].1);
    let ends: Vec<usize> = (1..=digits.len())
        .filter(|&j| j == digits.len() || digits[j - 1].1 != digits[j].1)
        .collect();
    starts.into_iter().any(|start| {
        ends.iter()
            .filter(|&&end| end > start && CARD_DIGITS.contains(&(end - start)))
            .any(|&end| {
                let window: Vec<u8> = digits[start..end].iter().map(|(d, _)| *d).collect();
                luhn(&window)
            })
    })
}

/// Whether words `at..` begin "security code", "CVV", "CVC", "CV2" or
/// "expiry" (and "expiration", "expiry date").
fn names_a_code(words: &[&str], at: usize) -> bool {
    let clean = |i: usize| -> String {
        words
            .get(i)
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            })
            .unwrap_or_default()
    };
    match clean(at).as_str() {
        "cvv" | "cvc" | "cv2" | "cvv2" | "expiry" | "expiration" | "exp" => true,
        "security" => clean(at + 1) == "code",
        _ => false,
    }
}

/// The spans of `words` (a transcript, in order) to replace with
/// [`REDACTED`].
pub fn redactions(words: &[&str]) -> Vec<Redaction> {
    let mut spans = Vec::new();
    for run in runs(words).iter().filter(|run| holds_card(run)) {
        spans.push(Redaction {
            first: run.digits[0].1,
            last: run.digits[run.digits.len() - 1].1,
            kind: RedactionKind::CardNumber,
        });
    }
    // The first number of 3 or 4 digits (an expiry "oh four twenty
    // seven" is four) within a few words after a code's name.
    let numbers = runs(words);
    for at in (0..words.len()).filter(|&at| names_a_code(words, at)) {
        let code = numbers.iter().find(|run| {
            let first = run.digits[0].1;
            first > at && first <= at + CODE_WITHIN_WORDS + 1
        });
        if let Some(run) = code.filter(|run| (3..=4).contains(&run.digits.len())) {
            let (first, last) = (run.digits[0].1, run.digits[run.digits.len() - 1].1);
            let covered = spans
                .iter()
                .any(|s: &Redaction| s.first <= first && last <= s.last);
            if !covered {
                spans.push(Redaction {
                    first,
                    last,
                    kind: RedactionKind::SecurityCode,
                });
            }
        }
    }
    spans.sort_by_key(|s| s.first);
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    /// The text with its redactions applied.
    fn redacted(text: &str) -> String {
        let words = words(text);
        let spans = redactions(&words);
        let mut out = Vec::new();
        let mut index = 0;
        while index < words.len() {
            match spans.iter().find(|s| s.first == index) {
                Some(span) => {
                    out.push(REDACTED);
                    index = span.last + 1;
                }
                None => {
                    out.push(words[index]);
                    index += 1;
                }
            }
        }
        out.join(" ")
    }

    #[test]
    fn luhn_is_the_standard_check() {
        let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<_>>();
        assert!(luhn(&digits("4111111111111111")));
        assert!(luhn(&digits("79927398713")));
        assert!(!luhn(&digits("4111111111111112")));
        assert!(!luhn(&[]));
    }

    #[test]
    fn a_card_number_in_figures_or_words_is_redacted() {
        assert_eq!(
            redacted("my card number is 4111 1111 1111 1111 thanks"),
            "my card number is [card number] thanks"
        );
        assert_eq!(redacted("it's 4111111111111111."), "it's [card number]");
        assert_eq!(
            redacted("four one one one one one one one one one one one one one one one please"),
            "[card number] please"
        );
        // Across fillers and in groups said the way people say them.
        assert_eq!(
            redacted(
                "it is forty one eleven, uh, eleven eleven double one eleven eleven eleven ok"
            ),
            "it is [card number] ok"
        );
        assert_eq!(
            redacted("3782 822463 10005 is my amex"),
            "[card number] is my amex",
            "15 digits, American Express"
        );
    }

    #[test]
    fn a_misheard_card_number_is_redacted_too() {
        assert_eq!(
            redacted("my card number is 4111 1111 1111 1112 thanks"),
            "my card number is [card number] thanks",
            "16 digits failing the check"
        );
        assert_eq!(
            redacted("car number in 516791356791319."),
            "car number in [card number]",
            "what tiny.en heard in CI: 15 digits, one dropped"
        );
        assert_eq!(
            redacted("four one one one one one one one for one one one one one one one ok"),
            "[card number] ok",
            "for between digits is four"
        );
        assert_eq!(
            redacted("it is 5136791356791319 0427 ok"),
            "it is [card number] ok",
            "a misheard card run into its expiry: 20 digits, none passing"
        );
        assert_eq!(
            redacted("4111\u{2013}1111\u{2013}1111\u{2013}1111 thanks"),
            "[card number] thanks",
            "written with en dashes"
        );
        assert_eq!(
            redacted("I went to 12 shops for 3 hours"),
            "I went to 12 shops for 3 hours",
            "to and for are words away from digits"
        );
    }

    #[test]
    fn phone_numbers_and_short_numbers_stay() {
        for kept in [
            "call me on 07700 900123",
            "call me on 0044 7700 900123",
            "order 1234 5678 9012",
            "four one one one",
        ] {
            assert_eq!(redacted(kept), kept);
        }
    }

    #[test]
    fn a_card_number_said_with_its_expiry_is_found_within_the_run() {
        // 16 digits and then 0427: the card is redacted, the expiry too.
        assert_eq!(
            redacted("4111 1111 1111 1111 expiry 04 27 done"),
            "[card number] expiry [card number] done"
        );
        assert_eq!(
            redacted("4111 1111 1111 1111 0427 done"),
            "[card number] done",
            "the whole number said goes, expiry and all"
        );
        assert_eq!(
            redacted("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 then"),
            "[card number] then",
            "an engine hearing extra digits leaves none of them"
        );
    }

    /// Any card number, said digit by digit, in figures of any grouping,
    /// or with fillers between: every word of it is redacted, and the
    /// words around it are kept.
    #[test]
    fn every_luhn_valid_number_however_said_is_redacted() {
        const UNITS: [&str; 10] = [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = |below: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % below
        };
        for round in 0..500 {
            let length = 13 + next(7) as usize;
            let mut digits: Vec<u8> = (0..length - 1).map(|_| next(10) as u8).collect();
            digits[0] = 3 + next(4) as u8;
            let check = (0..10u8)
                .find(|c| luhn(&[digits.clone(), vec![*c]].concat()))
                .unwrap();
            digits.push(check);
            let mut said: Vec<String> = Vec::new();
            let mut at = 0;
            while at < digits.len() {
                match next(3) {
                    0 => {
                        said.push(UNITS[digits[at] as usize].into());
                        at += 1;
                    }
                    1 => {
                        let group = (1 + next(4) as usize).min(digits.len() - at);
                        said.push(
                            digits[at..at + group]
                                .iter()
                                .map(|d| char::from(b'0' + d))
                                .collect(),
                        );
                        at += group;
                    }
                    // Fillers only between digits.
                    _ if said.is_empty() => {}
                    _ => said.push(if next(2) == 0 {
                        "uh,".into()
                    } else {
                        "and".into()
                    }),
                }
                if matches!(said.last().map(String::as_str), Some("uh," | "and")) && said.len() > 1
                {
                    let before = &said[said.len() - 2];
                    if before == "uh," || before == "and" {
                        said.pop();
                    }
                }
            }
            while matches!(said.last().map(String::as_str), Some("uh," | "and")) {
                said.pop();
            }
            let text = format!("my number is {} thank you", said.join(" "));
            assert_eq!(
                redacted(&text),
                "my number is [card number] thank you",
                "round {round}: {text}"
            );
        }
    }

    #[test]
    fn the_digits_after_a_security_code_are_redacted() {
        assert_eq!(
            redacted("and the security code is one two three thank you"),
            "and the security code is [card number] thank you"
        );
        assert_eq!(redacted("CVV: 737."), "CVV: [card number]");
        assert_eq!(
            redacted("the expiry date is oh four twenty seven"),
            "the expiry date is [card number]"
        );
        // Too many digits for a code, or said long after: kept.
        assert_eq!(redacted("security code 123456"), "security code 123456");
        assert_eq!(
            redacted("security code please wait while I find my card it is 123"),
            "security code please wait while I find my card it is 123"
        );
    }
}

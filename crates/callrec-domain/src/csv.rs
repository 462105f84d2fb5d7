//! CSV as RFC 4180 says (comma, CRLF, quotes doubled), made safe to open
//! in a spreadsheet (OWASP, CSV injection): every cell is quoted, and a
//! formula's first character (`= + - @`, tab, CR) gets an apostrophe
//! before it at the start of a cell and after any `;`, `,` or tab inside
//! it — a spreadsheet whose list separator is `;` splits
//! `Globex;=cmd|' /C calc'!A0` into two cells (security review, wave 2,
//! item 5).

/// The columns of a call in exports (the call detail report, a ZIP's
/// manifest), as the Recordings page shows them.
pub const CALL_COLUMNS: [&str; 8] = [
    "Date/Time",
    "Direction",
    "Calling Number",
    "Called Number",
    "User",
    "Team",
    "Company",
    "Duration (s)",
];

/// One record, ending in CRLF.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push('"');
        let mut starts_cell = true;
        for c in field.as_ref().chars() {
            if starts_cell && matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r') {
                line.push('\'');
            }
            if c == '"' {
                line.push('"');
            }
            line.push(c);
            starts_cell = matches!(c, ';' | ',' | '\t');
        }
        line.push('"');
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(csv_line(&["a", "b"]), "\"a\",\"b\"\r\n");
        assert_eq!(
            csv_line(&["a b", "say \"hi\"", "two\nlines"]),
            "\"a b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(csv_line(&["", ""]), "\"\",\"\"\r\n");
    }

    #[test]
    fn formulas_do_not_run_in_a_spreadsheet() {
        assert_eq!(
            csv_line(&["=HYPERLINK(\"x\")"]),
            "\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
        assert_eq!(
            csv_line(&["+44 20", "-1", "@a"]),
            "\"'+44 20\",\"'-1\",\"'@a\"\r\n"
        );
        assert_eq!(csv_line(&["a=b"]), "\"a=b\"\r\n");
        // The review's bypass: a formula after a list separator.
        assert_eq!(
            csv_line(&["Globex;=cmd|' /C calc'!A0"]),
            "\"Globex;'=cmd|' /C calc'!A0\"\r\n"
        );
        assert_eq!(
            csv_line(&["a,+1", "b\t@x", "c;-2;d", "\t=1", "x;;=y"]),
            "\"a,'+1\",\"b\t'@x\",\"c;'-2;d\",\"'\t'=1\",\"x;;'=y\"\r\n"
        );
    }

    /// Whatever a cell holds, no formula starts it or follows a separator
    /// once the apostrophes are read, and it round-trips as one cell.
    #[test]
    fn no_cell_part_starts_a_formula() {
        let parts = ["", "=", "+", "-", "@", "\t", "\r", ";", ",", "a", "\"", "1"];
        for a in parts {
            for b in parts {
                for c in parts {
                    let cell = format!("{a}{b}{c}");
                    let line = csv_line(&[cell.as_str()]);
                    let inner = &line[1..line.len() - 3];
                    assert_eq!(
                        inner.replace("\"\"", "\"").replace('\'', ""),
                        cell.replace('\'', "")
                    );
                    let unquoted = inner.replace("\"\"", "\"");
                    for piece in unquoted
                        .split([';', ',', '\t'])
                        .skip(1)
                        .chain([unquoted.as_str()])
                    {
                        assert!(
                            !piece.starts_with(['=', '+', '-', '@', '\r']),
                            "{cell:?} → {line:?}"
                        );
                    }
                }
            }
        }
    }
}

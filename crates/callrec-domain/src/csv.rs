//! CSV as RFC 4180 says (comma, CRLF, quotes doubled), made safe to open
//! in a spreadsheet: a cell that starts like a formula is prefixed with an
//! apostrophe (OWASP, CSV injection).

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
        let field = field.as_ref();
        let guarded;
        let field = if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            guarded = format!("'{field}");
            guarded.as_str()
        } else {
            field
        };
        if field.contains([',', '"', '\r', '\n']) {
            line.push('"');
            line.push_str(&field.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(field);
        }
    }
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(csv_line(&["a", "b"]), "a,b\r\n");
        assert_eq!(
            csv_line(&["a,b", "say \"hi\"", "two\nlines"]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(csv_line(&["", ""]), ",\r\n");
    }

    #[test]
    fn formulas_do_not_run_in_a_spreadsheet() {
        assert_eq!(
            csv_line(&["=HYPERLINK(\"x\")"]),
            "\"'=HYPERLINK(\"\"x\"\")\"\r\n"
        );
        assert_eq!(csv_line(&["+44 20", "-1", "@a"]), "'+44 20,'-1,'@a\r\n");
        assert_eq!(csv_line(&["a=b"]), "a=b\r\n");
    }
}

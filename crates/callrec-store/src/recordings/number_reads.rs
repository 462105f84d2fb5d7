//! The two shapes of a Recordings page driven by the number index. Both
//! read the index slice of the viewer's scope newest first (oldest first
//! for a previous page), one read per key.

use crate::filter::Filter;

/// One search's reads of the number index.
pub(super) struct NumberReads {
    /// `g.slice = $a AND g.owner = $b`.
    pub in_slice: String,
    /// The placeholders of the keys that answer the number filter.
    pub keys: Vec<String>,
    /// Time limits on `g.started_at`.
    pub time: Vec<String>,
    /// The placeholder of the cursor's start time, when paging on.
    pub cursor_time: Option<String>,
    /// "DESC" (newest first) or "ASC" (a previous page).
    pub order: &'static str,
    /// Rows the page reads (one more than it shows), and its placeholder.
    pub rows: (usize, String),
}

impl NumberReads {
    fn newest_first(&self) -> bool {
        self.order == "DESC"
    }

    /// When the index alone answers every condition (the slice is the
    /// scope, the key is exact, nothing else is asked): the page's edge is
    /// found in the index without touching a recording, and only the rows
    /// from the edge on are read. Two index reads a key and one row a
    /// page row, where `joined` reads a row for every index hit it tries.
    ///
    /// Exact with shared start times: the edge is the start time of the
    /// 51st newest hit past the cursor (distinct recordings, over every
    /// key), so the 51 rows after the cursor all start at or after it, and
    /// every hit from the edge to the cursor's time, ties included, is
    /// read and ordered by (start, id) on the rows.
    pub fn index_only(&self, columns: &str, filter: &mut Filter, order_by: &str) -> String {
        let (order, (rows, p)) = (self.order, (&self.rows.0, &self.rows.1));
        let (past_cursor, up_to_cursor, from_edge, no_edge) = if self.newest_first() {
            ("<", "<=", ">=", i64::MIN)
        } else {
            (">", ">=", "<=", i64::MAX)
        };
        let mut edge_conditions = self.time.clone();
        let mut row_conditions = self.time.clone();
        if let Some(t) = &self.cursor_time {
            edge_conditions.push(format!("g.started_at {past_cursor} {t}"));
            row_conditions.push(format!("g.started_at {up_to_cursor} {t}"));
        }
        let and_edge: String = edge_conditions
            .iter()
            .map(|c| format!(" AND {c}"))
            .collect();
        let reads: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                format!(
                    "SELECT * FROM (SELECT g.started_at AS t, g.recording AS hit \
                     FROM recording_number_grams g WHERE {} AND g.gram = {k}{and_edge} \
                     ORDER BY g.started_at {order} LIMIT {p}) k",
                    self.in_slice
                )
            })
            .collect();
        let last = filter.bind(*rows as i64 - 1);
        let none = filter.bind(no_edge);
        let edge = format!(
            "coalesce((SELECT e.t FROM ({}) e ORDER BY e.t {order} LIMIT 1 OFFSET {last}), {none})",
            reads.join(" UNION ")
        );
        let mut hits = vec![
            self.in_slice.clone(),
            format!("g.gram IN ({})", self.keys.join(", ")),
            format!("g.started_at {from_edge} {edge}"),
        ];
        hits.extend(row_conditions);
        format!(
            "{columns} (SELECT DISTINCT g.recording AS hit FROM recording_number_grams g \
             WHERE {}) c CROSS JOIN recordings r{} {order_by}",
            hits.join(" AND "),
            filter.where_clause_with(&["r.seq = c.hit".to_string()])
        )
    }

    /// Otherwise: each index hit is joined to its row and checked there,
    /// until a page of rows passes. One key is the page; several are a
    /// union whose newest rows are the page.
    pub fn joined(&self, columns: &str, filter: &Filter, order_by: &str) -> String {
        let (order, p) = (self.order, &self.rows.1);
        let mut index_conditions = self.time.clone();
        if let Some(t) = &self.cursor_time {
            let up_to_cursor = if self.newest_first() { "<=" } else { ">=" };
            index_conditions.push(format!("g.started_at {up_to_cursor} {t}"));
        }
        let mut index_reads: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let mut index_read = vec![
                    self.in_slice.clone(),
                    format!("g.gram = {k}"),
                    "r.seq = g.recording".to_string(),
                ];
                index_read.extend(index_conditions.iter().cloned());
                filter.where_clause_with(&index_read)
            })
            .collect();
        let index_order = format!("ORDER BY g.started_at {order}, r.id {order} LIMIT {p}");
        if index_reads.len() == 1 {
            let conditions = index_reads.remove(0);
            return format!(
                "{columns} recording_number_grams g CROSS JOIN recordings r{conditions} {index_order}"
            );
        }
        // Each key's newest 51 carry their sort key, so the union's own
        // newest 51 are the page: only those are joined again for their
        // columns (not up to 51 a key).
        let hits: Vec<String> = index_reads
            .iter()
            .map(|conditions| {
                format!(
                    "SELECT hit, t, i FROM (SELECT g.recording AS hit, \
                     r.started_at AS t, r.id AS i \
                     FROM recording_number_grams g CROSS JOIN recordings r{conditions} \
                     {index_order}) k"
                )
            })
            .collect();
        format!(
            "{columns} recordings r WHERE r.seq IN (SELECT u.hit FROM ({}) u \
             ORDER BY u.t {order}, u.i {order} LIMIT {p}) {order_by}",
            hits.join(" UNION ")
        )
    }
}

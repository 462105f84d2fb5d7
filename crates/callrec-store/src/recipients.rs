//! Who is told of a change to a company's records or credentials: its
//! Company users who hold a role that answers for them.

use crate::users::{select_with, user_from_row};
use crate::{Result, Store, User};
use callrec_domain::{CompanyId, Level, Role};

impl Store {
    /// Enabled Company-level users of `company` with an email who hold any
    /// of `roles`.
    pub async fn company_users_holding(
        &self,
        company: CompanyId,
        roles: &[Role],
    ) -> Result<Vec<User>> {
        let mut query = format!(
            "{} WHERE u.company_id = $1 AND u.enabled = 1 AND u.level = $2 AND u.email IS NOT NULL \
             AND EXISTS (SELECT 1 FROM user_roles h WHERE h.user_id = u.id AND h.role IN (",
            select_with(self, "", "")
        );
        let places: Vec<String> = (0..roles.len()).map(|i| format!("${}", i + 3)).collect();
        query.push_str(&places.join(", "));
        query.push_str(")) ORDER BY u.username_key");
        let mut statement = sqlx::query(&query)
            .bind(company.0)
            .bind(Level::Company.code());
        for role in roles {
            statement = statement.bind(role.code());
        }
        statement
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }
}

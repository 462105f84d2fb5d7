//! Changes to users: create, update, passwords and time zones, each
//! inside the caller's [`Write`].

use super::*;

impl Write<'_> {
    /// Creates the user and their roles in one transaction.
    pub async fn create_user(&mut self, new: &NewUser<'_>) -> Result<User> {
        let now = self.now;
        let row = sqlx::query(
            "INSERT INTO users (company_id, team_id, username, username_key, display_name, email, \
             level, password_hash, password_expires_at, created_at, updated_at, extension) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
        )
        .bind(new.company_id.0)
        .bind(new.team_id.map(|t| t.0))
        .bind(new.username.as_str())
        .bind(new.username.key())
        .bind(new.display_name.as_str())
        .bind(new.email.map(|e| e.as_str().to_string()))
        .bind(new.level.code())
        .bind(&new.password.hash)
        .bind(new.password.life.expires_at())
        .bind(now)
        .bind(new.extension.map(|e| e.as_str().to_string()))
        .fetch_one(self.conn())
        .await
        .map_err(user_conflict)?;
        let id = UserId(row.try_get("id")?);
        insert_roles(self.conn(), id, &new.roles).await?;
        let sql = format!("{} WHERE u.id = $1", select(self.store));
        let row = sqlx::query(&sql).bind(id.0).fetch_one(self.conn()).await?;
        user_from_row(&row)
    }

    /// Saves a whole Modify pop-up (details, roles and maybe a new password)
    /// in one transaction: all of it or none of it.
    pub async fn update_user(&mut self, id: UserId, update: &UserUpdate) -> Result<()> {
        let now = self.now;
        let details = &update.details;
        let done = sqlx::query(
            "UPDATE users SET display_name = $1, email = $2, level = $3, team_id = $4, enabled = $5, \
             updated_at = $6, extension = $8 WHERE id = $7",
        )
        .bind(details.display_name.as_str())
        .bind(details.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(details.level.code())
        .bind(details.team_id.map(|t| t.0))
        .bind(i64::from(details.enabled))
        .bind(now)
        .bind(id.0)
        .bind(details.extension.as_ref().map(|e| e.as_str().to_string()))
        .execute(self.conn())
        .await
        .map_err(user_conflict)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
            .bind(id.0)
            .execute(self.conn())
            .await?;
        insert_roles(self.conn(), id, &update.roles).await?;
        if let Some(password) = &update.password {
            sqlx::query(
                "UPDATE users SET password_hash = $1, password_expires_at = $2 WHERE id = $3",
            )
            .bind(&password.hash)
            .bind(password.life.expires_at())
            .bind(id.0)
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    pub async fn set_password(&mut self, id: UserId, password: &StoredPassword) -> Result<()> {
        let now = self.now;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, password_expires_at = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(&password.hash)
        .bind(password.life.expires_at())
        .bind(now)
        .bind(id.0)
        .execute(self.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The user's own time zone, or `None` for their company's.
    pub async fn set_user_time_zone(&mut self, id: UserId, zone: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE users SET time_zone = $1 WHERE id = $2")
            .bind(zone)
            .bind(id.0)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

async fn insert_roles(conn: &mut sqlx::AnyConnection, id: UserId, roles: &RoleSet) -> Result<()> {
    for role in roles.iter() {
        sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
            .bind(id.0)
            .bind(role.code())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

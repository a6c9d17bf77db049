//! Games: named, slugged per account, with anti-cheat on by default.

use serde::Deserialize;

use super::Admin;
use crate::auth::Principal;
use crate::error::FieldCode;
use crate::error::FieldErrors;
use crate::error::{ServiceError, ServiceResult};
use crate::id::{AccountId, GameId};
use crate::model::{AntiCheatSettings, Game, Name, Slug};
use crate::page::{ListParams, Page, PageRequest};
use crate::service::Patch;
use crate::service::slugs::{conflict, insert_with_slug, slug_or_derived};
use crate::store::GameFilter;
use crate::time::now;

/// `POST /v1/games`
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGame {
    /// The account; a regular key's own by default (a superadmin must give it).
    #[serde(default)]
    pub account_id: Option<AccountId>,
    /// Display name, 1–100 characters.
    pub name: String,
    /// Unique per account; derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
    /// Run anti-cheat on submissions (default true).
    #[serde(default)]
    pub anti_cheat_enabled: Option<bool>,
    /// Threshold overrides (default: none).
    #[serde(default)]
    pub anti_cheat: Option<AntiCheatSettings>,
}

/// `PATCH /v1/games/{id}`
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGame {
    /// New name.
    #[serde(default)]
    #[schema(value_type = String)]
    pub name: Patch<String>,
    /// New slug.
    #[serde(default)]
    #[schema(value_type = String)]
    pub slug: Patch<String>,
    /// Turn anti-cheat on or off.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub anti_cheat_enabled: Patch<bool>,
    /// Replace the overrides; null resets them to the defaults.
    #[serde(default)]
    #[schema(value_type = Option<AntiCheatSettings>)]
    pub anti_cheat: Patch<AntiCheatSettings>,
    /// `true` soft-deletes the game and its boards.
    #[serde(default)]
    #[schema(value_type = bool)]
    pub deleted: Patch<bool>,
}

impl Admin {
    /// Creates a game.
    pub async fn create_game(&self, p: &Principal, cmd: CreateGame) -> ServiceResult<Game> {
        let account_id = self.create_scope(p, cmd.account_id)?;
        let mut errors = FieldErrors::new();
        let name = errors.check("name", Name::parse(&cmd.name));
        let (slug, generated) = slug_or_derived(cmd.slug.as_deref(), &cmd.name, "game", &mut errors);
        let anti_cheat = cmd.anti_cheat.unwrap_or_default();
        anti_cheat.validate(&mut errors, "anti_cheat");
        errors.into_result()?;
        let (Some(name), Some(slug)) = (name, slug) else {
            return Err(ServiceError::field("name", FieldCode::Blank));
        };
        self.get_account(p, account_id).await.map_err(|_| ServiceError::field("account_id", FieldCode::NotFound))?;
        let at = now();
        let mut game = Game {
            id: GameId::generate(),
            account_id,
            name,
            slug: slug.clone(),
            anti_cheat_enabled: cmd.anti_cheat_enabled.unwrap_or(true),
            anti_cheat,
            created_at: at,
            updated_at: at,
            deleted_at: None,
        };
        game.slug = insert_with_slug(slug, generated, |slug| {
            let row = Game { slug, ..game.clone() };
            let store = self.store.clone();
            async move { store.insert_game(&row).await }
        })
        .await?;
        Ok(game)
    }

    /// One game the principal can see.
    pub async fn get_game(&self, p: &Principal, id: GameId) -> ServiceResult<Game> {
        let game = self.store.get_game(id).await?.ok_or_else(|| ServiceError::not_found("game"))?;
        self.visible(p, game.account_id, game, "game")
    }

    /// A live game by id, from the cache when possible (no tenancy check).
    pub(crate) async fn game_by_id(&self, id: GameId) -> ServiceResult<crate::model::Game> {
        if let Some(game) = self.caches.games.get(&id) {
            return Ok(game);
        }
        let game = self.store.get_game(id).await?.ok_or_else(|| ServiceError::not_found("game"))?;
        self.caches.games.put(id, game.clone());
        Ok(game)
    }

    /// Games of one account.
    pub async fn list_games(
        &self,
        p: &Principal,
        account_id: Option<AccountId>,
        params: &ListParams,
    ) -> ServiceResult<Page<Game>> {
        let account_id = self.list_scope(p, account_id)?;
        let scope = format!("games|{account_id}");
        let req = PageRequest::prepare(params, Game::SORTABLE, "created_at:desc", &scope, &self.cursors)?;
        let rows = self.store.list_games(&GameFilter { account_id }, &req).await?;
        Ok(req.finish(rows, &self.cursors))
    }

    /// Applies a patch; `deleted: true` soft-deletes the game and its boards.
    pub async fn update_game(&self, p: &Principal, id: GameId, cmd: UpdateGame) -> ServiceResult<Game> {
        let mut game = self.get_game(p, id).await?;
        let mut errors = FieldErrors::new();
        if let Some(name) = cmd.name.required("name", &mut errors) {
            game.name = errors.check("name", Name::parse(&name)).unwrap_or(game.name);
        }
        if let Some(slug) = cmd.slug.required("slug", &mut errors) {
            game.slug = errors.check("slug", Slug::parse(&slug)).unwrap_or(game.slug);
        }
        if let Some(enabled) = cmd.anti_cheat_enabled.required("anti_cheat_enabled", &mut errors) {
            game.anti_cheat_enabled = enabled;
        }
        if let Some(settings) = cmd.anti_cheat.optional() {
            game.anti_cheat = settings.unwrap_or_default();
            game.anti_cheat.validate(&mut errors, "anti_cheat");
        }
        let deleted = cmd.deleted.required("deleted", &mut errors).unwrap_or(false);
        errors.into_result()?;
        game.updated_at = now();
        if deleted {
            game.deleted_at = Some(game.updated_at);
        }
        self.store.update_game(&game).await.map_err(conflict)?;
        self.boards_changed();
        Ok(game)
    }

    /// Soft-deletes a game and its boards.
    pub async fn delete_game(&self, p: &Principal, id: GameId) -> ServiceResult<()> {
        let cmd = UpdateGame { deleted: Patch::Value(true), ..Default::default() };
        self.update_game(p, id, cmd).await.map(|_| ())
    }
}

//! The storage contract: every operation of the storage traits, run against every backend.
//! Each scenario is written once and instantiated for SQLite and PostgreSQL by `contract!`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use podium_core::auth::hash_secret;
use podium_core::id::*;
use podium_core::model::*;
use podium_core::model::{EventPayload, EventStatus, Identity, IdentityKind, IdentityStatus, Score, ScoreEvent};
use podium_core::page::{CursorCodec, ListParams, PageRequest};
use podium_core::store::*;
use podium_core::time::{from_micros, now};

fn account(slug: &str) -> Account {
    let at = now();
    Account {
        id: AccountId::generate(),
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        status: AccountStatus::Active,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

fn user(account: &Account, email: &str, super_admin: bool) -> User {
    let at = now();
    User {
        id: UserId::generate(),
        account_id: account.id,
        email: Email::parse(email).unwrap(),
        display_name: Name::parse("Ada").unwrap(),
        super_admin,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

fn key(user: &User, secret: &str) -> ApiKey {
    let at = now();
    ApiKey {
        id: ApiKeyId::generate(),
        account_id: user.account_id,
        user_id: user.id,
        name: Name::parse("ci").unwrap(),
        prefix: secret.chars().take(12).collect(),
        status: ApiKeyStatus::Active,
        expires_at: Some(from_micros(4_102_444_800_000_000)),
        last_used_at: None,
        created_at: at,
        updated_at: at,
        key_hash: hash_secret(secret),
        deleted_at: None,
    }
}

fn game(account: &Account, slug: &str) -> Game {
    let at = now();
    Game {
        id: GameId::generate(),
        account_id: account.id,
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        anti_cheat_enabled: true,
        anti_cheat: serde_json::from_str(r#"{"rate_limit_per_hour": {"c": 10}}"#).unwrap(),
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

fn board(game: &Game, slug: &str, code: &str) -> Board {
    let at = now();
    Board {
        id: BoardId::generate(),
        account_id: game.account_id,
        game_id: game.id,
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        short_code: code.into(),
        description: Some(Text::parse("fastest laps", false).unwrap()),
        icon: None,
        unit: Some(Text::parse("ms", false).unwrap()),
        tags: vec![Text::parse("weekly", false).unwrap()],
        board_type: BoardType::RunIdentity,
        sort_direction: SortDirection::Ascending,
        keep_strategy: KeepStrategy::Best,
        is_active: true,
        is_published: false,
        starts_at: Some(at),
        ends_at: None,
        unique_player_names: true,
        min_value: Some(0.5),
        max_value: None,
        ratio_config: None,
        template_id: None,
        series: None,
        period_start: None,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

fn page(sort: &str, limit: u32, cursor: Option<String>, codec: &CursorCodec) -> PageRequest {
    let params = ListParams { cursor, limit: Some(limit.to_string()), sort: Some(sort.into()) };
    PageRequest::prepare(&params, &["name", "slug", "created_at", "series"], "created_at", "contract", codec).unwrap()
}

async fn accounts_round_trip_and_hide_deleted_rows(store: Arc<dyn Store>) {
    let mut a = account("acme");
    store.insert_account(&a).await.unwrap();
    assert_eq!(store.get_account(a.id).await.unwrap(), Some(a.clone()));
    a.status = AccountStatus::Suspended;
    a.name = Name::parse("Acme Inc").unwrap();
    store.update_account(&a).await.unwrap();
    assert_eq!(store.get_account(a.id).await.unwrap().unwrap().status, AccountStatus::Suspended);
    a.deleted_at = Some(now());
    store.update_account(&a).await.unwrap();
    assert_eq!(store.get_account(a.id).await.unwrap(), None);
    assert_eq!(store.update_account(&a).await, Err(StoreError::NotFound));
    // The slug of a deleted account is free again.
    store.insert_account(&account("acme")).await.unwrap();
    assert_eq!(store.insert_account(&account("acme")).await, Err(StoreError::Conflict { constraint: "slug".into() }));
}

async fn lists_page_forward_and_backward_without_overlap(store: Arc<dyn Store>) {
    let codec = CursorCodec::new(&store.cursor_secret().await.unwrap()).unwrap();
    let mut slugs = Vec::new();
    for i in 0..7 {
        let slug = format!("acct-{i}");
        store.insert_account(&account(&slug)).await.unwrap();
        slugs.push(slug);
    }
    let read = |rows: Vec<Account>| rows.into_iter().map(|a| a.slug.to_string()).collect::<Vec<_>>();
    let req = page("slug:desc", 3, None, &codec);
    let first = req.finish(store.list_accounts(None, &req).await.unwrap(), &codec);
    let first_ids = read(first.data);
    assert_eq!(first_ids, ["acct-6", "acct-5", "acct-4"]);
    let req = page("slug:desc", 3, first.pagination.next_cursor, &codec);
    let second = req.finish(store.list_accounts(None, &req).await.unwrap(), &codec);
    assert_eq!(read(second.data.clone()), ["acct-3", "acct-2", "acct-1"]);
    let req = page("slug:desc", 3, second.pagination.prev_cursor, &codec);
    let back = req.finish(store.list_accounts(None, &req).await.unwrap(), &codec);
    assert_eq!(read(back.data), first_ids);
    assert!(!back.pagination.has_prev);
    let req = page("slug:desc", 3, second.pagination.next_cursor, &codec);
    let last = req.finish(store.list_accounts(None, &req).await.unwrap(), &codec);
    assert_eq!(read(last.data), ["acct-0"]);
    assert!(!last.pagination.has_next && last.pagination.next_cursor.is_none());
    // Restricting to one account.
    let only = account("solo");
    store.insert_account(&only).await.unwrap();
    let req = page("slug:asc", 10, None, &codec);
    assert_eq!(read(store.list_accounts(Some(only.id), &req).await.unwrap()), ["solo"]);
}

async fn users_keep_emails_unique_and_find_the_first_super_admin(store: Arc<dyn Store>) {
    let codec = CursorCodec::new(&store.cursor_secret().await.unwrap()).unwrap();
    assert_eq!(store.first_super_admin().await.unwrap(), None);
    let a = account("acme");
    store.insert_account(&a).await.unwrap();
    let mut ada = user(&a, "ada@example.com", false);
    store.insert_user(&ada).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(
        store.insert_user(&user(&a, "ada@example.com", false)).await,
        Err(StoreError::Conflict { constraint: "email".into() })
    );
    ada.super_admin = true;
    store.update_user(&ada).await.unwrap();
    assert_eq!(store.first_super_admin().await.unwrap().map(|u| u.id), Some(ada.id));
    let other = account("other");
    store.insert_account(&other).await.unwrap();
    store.insert_user(&user(&other, "bob@example.com", false)).await.unwrap();
    let req = page("created_at:asc", 10, None, &codec);
    let listed = store.list_users(&UserFilter { account_id: a.id }, &req).await.unwrap();
    assert_eq!(listed.iter().map(|u| u.id).collect::<Vec<_>>(), [ada.id]);
    ada.deleted_at = Some(now());
    store.update_user(&ada).await.unwrap();
    assert_eq!(store.get_user(ada.id).await.unwrap(), None);
    assert_eq!(store.first_super_admin().await.unwrap(), None);
}

async fn api_keys_authenticate_in_one_read_and_record_last_use(store: Arc<dyn Store>) {
    let codec = CursorCodec::new(&store.cursor_secret().await.unwrap()).unwrap();
    let a = account("acme");
    let u = user(&a, "ada@example.com", true);
    let mut k = key(&u, "pdm_secret_one");
    store.insert_account_user_key(&a, &u, &k).await.unwrap();
    let grant = store.find_key_grant(&hash_secret("pdm_secret_one")).await.unwrap().unwrap();
    assert_eq!((grant.key, grant.user, grant.account), (k.clone(), u.clone(), a.clone()));
    assert!(store.find_key_grant(&hash_secret("nope")).await.unwrap().is_none());

    let t1 = now();
    store.touch_api_keys(&[(k.id, t1)]).await.unwrap();
    store.touch_api_keys(&[(k.id, from_micros(0))]).await.unwrap();
    assert_eq!(store.get_api_key(k.id).await.unwrap().unwrap().last_used_at, Some(t1));

    k.status = ApiKeyStatus::Revoked;
    k.last_used_at = Some(t1);
    store.update_api_key(&k).await.unwrap();
    assert_eq!(store.get_api_key(k.id).await.unwrap(), Some(k.clone()));

    let second = key(&u, "pdm_secret_two");
    store.insert_api_key(&second).await.unwrap();
    assert_eq!(
        store.insert_api_key(&key(&u, "pdm_secret_two")).await,
        Err(StoreError::Conflict { constraint: "key_hash".into() })
    );
    let req = page("created_at:asc", 10, None, &codec);
    let active = ApiKeyFilter { account_id: a.id, user_id: Some(u.id), status: Some(ApiKeyStatus::Active) };
    assert_eq!(store.list_api_keys(&active, &req).await.unwrap().iter().map(|k| k.id).collect::<Vec<_>>(), [second.id]);
    let all = ApiKeyFilter { account_id: a.id, user_id: None, status: None };
    assert_eq!(store.list_api_keys(&all, &req).await.unwrap().len(), 2);

    // A deleted user's keys no longer authenticate.
    let mut u = u;
    u.deleted_at = Some(now());
    store.update_user(&u).await.unwrap();
    assert!(store.find_key_grant(&hash_secret("pdm_secret_two")).await.unwrap().is_none());
}

async fn bootstrap_inserts_are_atomic(store: Arc<dyn Store>) {
    let a = account("acme");
    let u = user(&a, "ada@example.com", true);
    store.insert_account(&account("taken")).await.unwrap();
    let clash = Account { slug: Slug::parse("taken").unwrap(), ..account("x") };
    let u2 = user(&clash, "eve@example.com", true);
    assert!(store.insert_account_user_key(&clash, &u2, &key(&u2, "pdm_k")).await.is_err());
    assert_eq!(store.get_user(u2.id).await.unwrap(), None);
    store.insert_account_user_key(&a, &u, &key(&u, "pdm_k")).await.unwrap();
}

async fn games_and_boards_round_trip_and_deleting_a_game_deletes_its_boards(store: Arc<dyn Store>) {
    let codec = CursorCodec::new(&store.cursor_secret().await.unwrap()).unwrap();
    let a = account("acme");
    store.insert_account(&a).await.unwrap();
    let mut g = game(&a, "space-race");
    store.insert_game(&g).await.unwrap();
    assert_eq!(store.get_game(g.id).await.unwrap(), Some(g.clone()));
    assert_eq!(
        store.insert_game(&game(&a, "space-race")).await,
        Err(StoreError::Conflict { constraint: "slug".into() })
    );
    let other_account = account("other");
    store.insert_account(&other_account).await.unwrap();
    store.insert_game(&game(&other_account, "space-race")).await.unwrap();
    g.anti_cheat_enabled = false;
    store.update_game(&g).await.unwrap();
    assert!(!store.get_game(g.id).await.unwrap().unwrap().anti_cheat_enabled);
    let req = page("slug:asc", 10, None, &codec);
    assert_eq!(store.list_games(&GameFilter { account_id: a.id }, &req).await.unwrap().len(), 1);

    let mut b = board(&g, "laps", "AAAAAA");
    b.ratio_config = None;
    store.insert_board(&b).await.unwrap();
    assert_eq!(store.get_board(b.id).await.unwrap(), Some(b.clone()));
    assert_eq!(
        store.insert_board(&board(&g, "laps", "BBBBBB")).await,
        Err(StoreError::Conflict { constraint: "slug".into() })
    );
    assert_eq!(
        store.insert_board(&board(&g, "other", "AAAAAA")).await,
        Err(StoreError::Conflict { constraint: "short_code".into() })
    );
    let mut ratio = board(&g, "kd", "CCCCCC");
    ratio.board_type = BoardType::Ratio;
    ratio.keep_strategy = KeepStrategy::Na;
    ratio.ratio_config = Some(
        serde_json::from_value(serde_json::json!({
            "numerator_board_id": b.id.to_string(), "denominator_board_id": BoardId::generate().to_string()
        }))
        .unwrap(),
    );
    ratio.is_active = false;
    store.insert_board(&ratio).await.unwrap();
    assert_eq!(store.get_board(ratio.id).await.unwrap(), Some(ratio.clone()));
    b.description = None;
    b.tags.clear();
    store.update_board(&b).await.unwrap();
    assert_eq!(store.get_board(b.id).await.unwrap(), Some(b.clone()));

    let filter = |f: BoardFilter| f;
    let base = BoardFilter {
        account_id: a.id,
        game_id: Some(g.id),
        slug: None,
        code: None,
        is_active: None,
        is_published: None,
        tag: None,
        template_id: None,
    };
    assert_eq!(store.list_boards(&base, &req).await.unwrap().len(), 2);
    let by_slug = filter(BoardFilter { slug: Some("kd".into()), ..base.clone() });
    assert_eq!(store.list_boards(&by_slug, &req).await.unwrap()[0].id, ratio.id);
    let by_code = filter(BoardFilter { code: Some("AAAAAA".into()), ..base.clone() });
    assert_eq!(store.list_boards(&by_code, &req).await.unwrap()[0].id, b.id);
    let inactive = filter(BoardFilter { is_active: Some(false), ..base.clone() });
    assert_eq!(store.list_boards(&inactive, &req).await.unwrap()[0].id, ratio.id);

    g.deleted_at = Some(now());
    store.update_game(&g).await.unwrap();
    assert_eq!(store.get_game(g.id).await.unwrap(), None);
    assert_eq!(store.get_board(b.id).await.unwrap(), None);
    assert!(store.list_boards(&base, &req).await.unwrap().is_empty());
}

async fn system_answers_ping_and_keeps_one_cursor_secret(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    let first = store.cursor_secret().await.unwrap();
    assert!(first.len() >= 32);
    assert_eq!(store.cursor_secret().await.unwrap(), first);
}

fn identity(game: &Game, key: &str) -> Identity {
    let at = now();
    Identity {
        id: IdentityId::generate(),
        account_id: game.account_id,
        game_id: game.id,
        player_key: Some(key.into()),
        display_name: Some("P".into()),
        kind: IdentityKind::External,
        trust_tier: None,
        status: IdentityStatus::Active,
        created_at: at,
        updated_at: at,
    }
}

fn planned(board: &Board, who: &Identity, value: f64, t: i64) -> podium_core::scoring::PlannedEvent {
    podium_core::scoring::PlannedEvent {
        board: board.clone(),
        event: ScoreEvent {
            id: ScoreEventId::generate(),
            account_id: board.account_id,
            game_id: board.game_id,
            board_id: board.id,
            identity_id: who.id,
            event_payload: EventPayload {
                value,
                value_display: None,
                player_name: Some("P".into()),
                metadata: Some(serde_json::json!({"k": 1})),
            },
            is_test: false,
            timezone: Some("UTC".into()),
            country: None,
            city: None,
            status: EventStatus::Accepted,
            created_at: from_micros(1_700_000_000_000_000 + t),
        },
        player_name: "P".into(),
        dependents: vec![],
        hold: false,
    }
}

async fn commit(store: &Arc<dyn Store>, events: &[podium_core::scoring::PlannedEvent]) -> podium_core::scoring::Plan {
    let mut slots: Vec<_> = events.iter().flat_map(|p| p.slots()).collect();
    slots.dedup();
    let raw: Vec<ScoreEvent> = events.iter().map(|p| p.event.clone()).collect();
    let planner = |current: Vec<Score>| podium_core::scoring::plan(events, current);
    store.commit_events(&raw, &slots, &planner).await.unwrap()
}

async fn scores_commit_in_batches_stream_back_exactly_and_rebuild(store: Arc<dyn Store>) {
    let codec = CursorCodec::new(&store.cursor_secret().await.unwrap()).unwrap();
    let a = account("acme");
    store.insert_account(&a).await.unwrap();
    let g = game(&a, "g");
    store.insert_game(&g).await.unwrap();
    let b = board(&g, "best", "AAAAAA");
    store.insert_board(&b).await.unwrap();
    let mut runs = board(&g, "runs", "BBBBBB");
    runs.board_type = BoardType::RunRuns;
    runs.keep_strategy = KeepStrategy::Na;
    store.insert_board(&runs).await.unwrap();

    let ada = identity(&g, "ada");
    store.insert_identity(&ada).await.unwrap();
    assert_eq!(store.get_identity(ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(store.find_identity_by_player_key(g.id, "ada").await.unwrap(), Some(ada.clone()));
    assert!(matches!(store.insert_identity(&identity(&g, "ada")).await, Err(StoreError::Conflict { .. })));
    // In bulk: an existing key keeps its identity, new keys are created.
    let bob = identity(&g, "bob");
    let stored = store.insert_identities(&[identity(&g, "ada"), bob.clone()]).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored.contains(&ada) && stored.contains(&bob));

    // Values whose decimal forms are long: the streamed values must be bit-identical.
    let tricky = [0.1 + 0.2, 1.0 / 3.0, 123_456.789, 5e-324, -2.5e-8, 9_007_199_254_740_993.0, -0.0];
    let mut events = Vec::new();
    for (i, v) in tricky.iter().enumerate() {
        events.push(planned(&runs, &ada, *v, i as i64));
    }
    // The same player improving twice in one batch on a BEST board (ascending): one entry.
    events.push(planned(&b, &ada, 10.0, 100));
    events.push(planned(&b, &ada, 5.0, 101));
    let plan = commit(&store, &events).await;
    assert_eq!(plan.results.len(), events.len());
    let best = plan.results.last().unwrap().clone();
    assert_eq!(best.value, 5.0);
    assert_eq!(store.get_score(best.id).await.unwrap(), Some(best.clone()));
    // A later batch reads the stored entry and keeps the better value.
    let plan = commit(&store, &[planned(&b, &ada, 7.0, 200)]).await;
    assert_eq!(plan.results[0].value, 5.0);
    assert!(plan.changes.is_empty());

    let mut ranked = Vec::new();
    let n = store.for_each_ranked(&mut |row| ranked.push(row)).await.unwrap();
    assert_eq!(n as usize, tricky.len() + 1);
    let mut streamed: Vec<u64> = ranked.iter().filter(|r| r.board_id == runs.id).map(|r| r.value.to_bits()).collect();
    let mut expected: Vec<u64> = tricky.iter().map(|v| v.to_bits()).collect();
    streamed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(streamed, expected);
    let row = ranked.iter().find(|r| r.board_id == b.id).unwrap();
    assert_eq!((row.id, row.updated_at), (best.id, podium_core::time::to_micros(best.updated_at)));

    let mut replayed = Vec::new();
    assert_eq!(store.for_each_event(&mut |e| replayed.push(e)).await.unwrap(), 10);
    assert!(replayed.windows(2).all(|w| (w[0].created_at, w[0].id) <= (w[1].created_at, w[1].id)));
    assert_eq!(store.get_score_event(replayed[0].id).await.unwrap().as_ref(), Some(&replayed[0]));

    let req = PageRequest::prepare(
        &ListParams { cursor: None, limit: Some("100".into()), sort: Some("created_at:asc".into()) },
        &["created_at"],
        "created_at",
        "events",
        &codec,
    )
    .unwrap();
    let filter =
        ScoreEventFilter { account_id: a.id, board_id: Some(runs.id), identity_id: Some(ada.id), is_test: Some(false) };
    assert_eq!(store.list_score_events(&filter, &req).await.unwrap().len(), tricky.len());
    let req = PageRequest::prepare(
        &ListParams { cursor: None, limit: Some("100".into()), sort: Some("value:desc".into()) },
        &["value"],
        "value",
        "scores",
        &codec,
    )
    .unwrap();
    let listed = store
        .list_scores(&ScoreFilter { board_id: runs.id, is_test: Some(false), identity_id: None }, &req)
        .await
        .unwrap();
    assert_eq!(listed.len(), tricky.len());
    assert_eq!(listed[0].value, 9_007_199_254_740_992.0);
    let ids: Vec<ScoreId> = listed.iter().map(|s| s.id).collect();
    assert_eq!(store.get_scores(&ids).await.unwrap().len(), ids.len());
    assert!(store.all_boards().await.unwrap().len() >= 2);
    assert!(store.ratio_boards(g.id).await.unwrap().is_empty());

    // Replacing every entry (rebuild); an infinite ratio streams back as infinite.
    let mut all: Vec<Score> = store.get_scores(&ids).await.unwrap();
    all.truncate(2);
    all[0].value = f64::INFINITY;
    store.replace_scores(&all).await.unwrap();
    let mut values = Vec::new();
    assert_eq!(store.for_each_ranked(&mut |r| values.push(r.value)).await.unwrap(), 2);
    assert!(values.contains(&f64::INFINITY));
}

fn member(name: &str, email: &str) -> podium_core::model::community::Member {
    let at = from_micros(podium_core::time::to_micros(now()));
    podium_core::model::community::Member {
        id: MemberId::generate(),
        name: podium_core::model::community::MemberName::parse(name).unwrap(),
        email: Email::parse(email).unwrap(),
        about: Text::parse("", true).unwrap(),
        admin: false,
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

async fn members_keep_names_unique_ignoring_case_and_deleting_one_ends_its_tokens(store: Arc<dyn Store>) {
    let ada = member("Ada", "ada@example.test");
    store.insert_member(&ada, "$argon2id$hash").await.unwrap();
    assert_eq!(store.get_member(ada.id).await.unwrap().as_ref(), Some(&ada));
    assert_eq!(store.member_by_name("ada").await.unwrap().map(|m| m.id), Some(ada.id));
    let clash = store.insert_member(&member("ADA", "other@example.test"), "h").await.unwrap_err();
    assert_eq!(clash, StoreError::Conflict { constraint: "name_key".into() });
    let clash = store.insert_member(&member("Bob", "ada@example.test"), "h").await.unwrap_err();
    assert_eq!(clash, StoreError::Conflict { constraint: "email".into() });
    for key in ["ada", "ada@example.test"] {
        let login = store.member_login(key).await.unwrap().unwrap();
        assert_eq!((login.member.id, login.password_hash.as_str()), (ada.id, "$argon2id$hash"));
    }
    assert!(store.member_login("bob").await.unwrap().is_none());
    let mut changed = ada.clone();
    changed.admin = true;
    changed.about = Text::parse("runs", false).unwrap();
    store.set_member_admin(ada.id, true, ada.updated_at).await.unwrap();
    // Writing `about` leaves the role as it is.
    store.set_member_about(ada.id, "runs", ada.updated_at).await.unwrap();
    assert_eq!(store.get_member(ada.id).await.unwrap().as_ref(), Some(&changed));
    assert_eq!(store.set_member_admin(MemberId::generate(), true, now()).await, Err(StoreError::NotFound));
    let at = now();
    let live = MemberToken {
        hash: "live".into(),
        member_id: ada.id,
        created_at: at,
        expires_at: at + chrono::Duration::hours(1),
    };
    let old = MemberToken {
        hash: "old".into(),
        member_id: ada.id,
        created_at: at,
        expires_at: at - chrono::Duration::seconds(1),
    };
    store.insert_member_token(&live).await.unwrap();
    store.insert_member_token(&old).await.unwrap();
    assert_eq!(
        store.member_by_token("live", at).await.unwrap().map(|(m, expires)| (m.id, expires)),
        Some((ada.id, podium_core::time::from_micros(podium_core::time::to_micros(live.expires_at))))
    );
    assert!(store.member_by_token("old", at).await.unwrap().is_none());
    assert!(store.member_by_token("none", at).await.unwrap().is_none());
    store.delete_member_token("live").await.unwrap();
    assert!(store.member_by_token("live", at).await.unwrap().is_none());
    store.insert_member_token(&MemberToken { hash: "again".into(), ..live.clone() }).await.unwrap();
    store.delete_member(ada.id, now()).await.unwrap();
    assert!(store.member_by_token("again", at).await.unwrap().is_none());
    assert!(store.get_member(ada.id).await.unwrap().is_none());
    assert!(store.member_login("ada").await.unwrap().is_none());
    assert_eq!(store.delete_member(ada.id, now()).await, Err(StoreError::NotFound));
    // The name and the address are free again.
    store.insert_member(&member("ada", "ada@example.test"), "h").await.unwrap();
}

async fn leaderboards_keep_slugs_unique_and_modships_one_per_member_and_leaderboard(store: Arc<dyn Store>) {
    use podium_core::model::community::{Leaderboard, Modship};
    let at = from_micros(podium_core::time::to_micros(now()));
    let board = |slug: &str| Leaderboard {
        id: LeaderboardId::generate(),
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        rules: Text::parse("", true).unwrap(),
        created_at: at,
        updated_at: at,
    };
    let (one, two) = (board("one"), board("two"));
    store.insert_leaderboard(&one).await.unwrap();
    store.insert_leaderboard(&two).await.unwrap();
    let clash = store.insert_leaderboard(&board("one")).await.unwrap_err();
    assert_eq!(clash, StoreError::Conflict { constraint: "slug".into() });
    assert_eq!(store.get_leaderboard(one.id).await.unwrap().as_ref(), Some(&one));
    assert_eq!(store.leaderboard_by_slug("two").await.unwrap().as_ref(), Some(&two));
    let mut renamed = one.clone();
    renamed.slug = Slug::parse("two").unwrap();
    assert_eq!(
        store.update_leaderboard(&renamed, one.updated_at).await,
        Err(StoreError::Conflict { constraint: "slug".into() })
    );
    renamed.slug = Slug::parse("uno").unwrap();
    renamed.rules = Text::parse("rules", false).unwrap();
    renamed.updated_at = at + chrono::Duration::seconds(1);
    store.update_leaderboard(&renamed, one.updated_at).await.unwrap();
    assert_eq!(
        store.update_leaderboard(&one, one.updated_at).await,
        Err(StoreError::Conflict { constraint: "stale".into() })
    );
    assert_eq!(store.leaderboard_by_slug("uno").await.unwrap().as_ref(), Some(&renamed));
    let codec = CursorCodec::new(b"secret").unwrap();
    let listed = store.list_leaderboards(&page("slug:asc", 10, None, &codec)).await.unwrap();
    assert_eq!(listed.iter().map(|l| l.slug.as_str()).collect::<Vec<_>>(), ["two", "uno"]);

    let ada = member("Ada", "ada@example.test");
    store.insert_member(&ada, "h").await.unwrap();
    let modship = Modship { id: ModshipId::generate(), user_id: ada.id, leaderboard_id: one.id, created_at: at };
    store.insert_modship(&modship).await.unwrap();
    let again = Modship { id: ModshipId::generate(), ..modship.clone() };
    assert_eq!(store.insert_modship(&again).await, Err(StoreError::Conflict { constraint: "modship".into() }));
    assert_eq!(store.get_modship(modship.id).await.unwrap().as_ref(), Some(&modship));
    assert_eq!(store.modship_of(ada.id, one.id).await.unwrap().as_ref(), Some(&modship));
    assert!(store.modship_of(ada.id, two.id).await.unwrap().is_none());
    assert_eq!(store.moderators_of(one.id).await.unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), [ada.id]);
    assert_eq!(store.moderated_by(ada.id).await.unwrap().iter().map(|l| l.id).collect::<Vec<_>>(), [one.id]);
    store.delete_modship(modship.id).await.unwrap();
    assert_eq!(store.delete_modship(modship.id).await, Err(StoreError::NotFound));
    // Deleting the account takes its modships with it, in the same transaction.
    store.insert_modship(&Modship { id: ModshipId::generate(), leaderboard_id: two.id, ..modship }).await.unwrap();
    store.delete_member(ada.id, now()).await.unwrap();
    assert!(store.moderated_by(ada.id).await.unwrap().is_empty());
    assert!(store.moderators_of(two.id).await.unwrap().is_empty());
}

/// Stores a leaderboard `celeste` created at `at`.
async fn celeste(
    store: &Arc<dyn Store>,
    at: chrono::DateTime<chrono::Utc>,
) -> podium_core::model::community::Leaderboard {
    let lb = podium_core::model::community::Leaderboard {
        id: LeaderboardId::generate(),
        name: Name::parse("Celeste").unwrap(),
        slug: Slug::parse("celeste").unwrap(),
        rules: Text::parse("", true).unwrap(),
        created_at: at,
        updated_at: at,
    };
    store.insert_leaderboard(&lb).await.unwrap();
    lb
}

async fn categories_round_trip_with_their_metrics_in_order(store: Arc<dyn Store>) {
    use podium_core::model::community::{Category, Metric, MetricKind, MetricSort};
    let at = from_micros(podium_core::time::to_micros(now()));
    let lb = celeste(&store, at).await;
    let metric = |slug: &str, kind| Metric {
        id: MetricId::generate(),
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        kind,
        sort: MetricSort::Asc,
        required: true,
    };
    let category = |slug: &str| Category {
        id: CategoryId::generate(),
        leaderboard_id: lb.id,
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        rules: Text::parse("rules", true).unwrap(),
        players_min: 1,
        players_max: 4,
        metrics: vec![metric("time", MetricKind::Time), metric("score", MetricKind::Score)],
        created_at: at,
        updated_at: at,
    };
    let any = category("any");
    let full = Category { created_at: at + chrono::Duration::seconds(1), ..category("full") };
    store.insert_category(&any).await.unwrap();
    store.insert_category(&full).await.unwrap();
    assert_eq!(store.insert_category(&category("any")).await, Err(StoreError::Conflict { constraint: "slug".into() }));
    assert_eq!(store.get_category(any.id).await.unwrap().as_ref(), Some(&any));
    assert_eq!(store.categories_of(lb.id).await.unwrap(), vec![any.clone(), full.clone()]);
    let mut edited = any.clone();
    edited.metrics = vec![metric("count", MetricKind::Count), any.metrics[0].clone()];
    edited.players_max = 2;
    edited.updated_at = at + chrono::Duration::seconds(5);
    store.update_category(&edited, any.updated_at).await.unwrap();
    // An edit from a copy read before that one is refused, not applied over it.
    assert_eq!(
        store.update_category(&any, any.updated_at).await,
        Err(StoreError::Conflict { constraint: "stale".into() })
    );
    assert_eq!(store.get_category(any.id).await.unwrap().as_ref(), Some(&edited));
    store.delete_category(any.id).await.unwrap();
    assert!(store.get_category(any.id).await.unwrap().is_none());
    assert_eq!(store.delete_category(any.id).await, Err(StoreError::NotFound));
    assert_eq!(store.categories_of(lb.id).await.unwrap(), vec![full]);
}

async fn variables_round_trip_and_leave_with_their_last_category(store: Arc<dyn Store>) {
    use podium_core::model::community::{
        Assignment, Category, Metric, MetricKind, MetricSort, Variable, VariableSlug, VariableValue,
    };
    let at = from_micros(podium_core::time::to_micros(now()));
    let lb = celeste(&store, at).await;
    let category = |slug: &str, t: i64| Category {
        id: CategoryId::generate(),
        leaderboard_id: lb.id,
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        rules: Text::parse("", true).unwrap(),
        players_min: 1,
        players_max: 1,
        metrics: vec![Metric {
            id: MetricId::generate(),
            name: Name::parse("t").unwrap(),
            slug: Slug::parse("t").unwrap(),
            kind: MetricKind::Time,
            sort: MetricSort::Asc,
            required: true,
        }],
        created_at: at + chrono::Duration::seconds(t),
        updated_at: at,
    };
    let (any, full) = (category("any", 0), category("full", 1));
    store.insert_category(&any).await.unwrap();
    store.insert_category(&full).await.unwrap();
    let id = VariableId::generate();
    let value = |slug: &str| VariableValue {
        id: VariableValueId::generate(),
        variable_id: id,
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
    };
    let assign = |c: &Category| Assignment { category_id: c.id, required: true, obsoleting: false };
    let variable = Variable {
        id,
        leaderboard_id: lb.id,
        name: Name::parse("Platform").unwrap(),
        slug: VariableSlug::parse("platform").unwrap(),
        values: vec![value("pc"), value("switch")],
        categories: vec![assign(&any), assign(&full)],
        created_at: at,
        updated_at: at,
    };
    store.insert_variable(&variable, &RunEdits::default()).await.unwrap();
    let clash = Variable { id: VariableId::generate(), values: vec![], categories: vec![], ..variable.clone() };
    assert_eq!(
        store.insert_variable(&clash, &RunEdits::default()).await,
        Err(StoreError::Conflict { constraint: "slug".into() })
    );
    assert_eq!(store.get_variable(id).await.unwrap().as_ref(), Some(&variable));
    assert_eq!(store.variable_of_value(variable.values[1].id).await.unwrap().as_ref(), Some(&variable));
    assert_eq!(store.variables_of(full.id).await.unwrap(), vec![variable.clone()]);
    let mut edited = variable.clone();
    edited.values.push(value("ps"));
    edited.categories.retain(|a| a.category_id == full.id);
    edited.updated_at = at + chrono::Duration::seconds(5);
    store.update_variable(&edited, variable.updated_at, &RunEdits::default()).await.unwrap();
    assert_eq!(
        store.update_variable(&variable, variable.updated_at, &RunEdits::default()).await,
        Err(StoreError::Conflict { constraint: "stale".into() })
    );
    assert_eq!(store.get_variable(id).await.unwrap().as_ref(), Some(&edited));
    assert!(store.variables_of(any.id).await.unwrap().is_empty());
    // Deleting the variable's last category takes the variable with it.
    store.delete_category(full.id).await.unwrap();
    assert!(store.get_variable(id).await.unwrap().is_none());
    assert!(store.variable_of_value(edited.values[0].id).await.unwrap().is_none());
    assert_eq!(store.delete_variable(id).await, Err(StoreError::NotFound));
}

/// A category's version as stored now (what a submission read it at).
async fn version(store: &Arc<dyn Store>, id: podium_core::id::CategoryId) -> chrono::DateTime<chrono::Utc> {
    store.get_category(id).await.unwrap().unwrap().updated_at
}

/// An "Any%" category of `lb` for up to `players_max` runners, with one required time metric
/// (ascending), stored: (category, its metric).
async fn any_percent(
    store: &Arc<dyn Store>,
    lb: &podium_core::model::community::Leaderboard,
    players_max: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> (podium_core::model::community::Category, podium_core::model::community::Metric) {
    use podium_core::model::community::{MetricKind, MetricSort};
    category_by(store, lb, "any", players_max, at, MetricKind::Time, MetricSort::Asc).await
}

/// A category (`slug`) with one required metric of `kind`, sorted `sort`.
async fn category_by(
    store: &Arc<dyn Store>,
    lb: &podium_core::model::community::Leaderboard,
    slug: &str,
    players_max: u32,
    at: chrono::DateTime<chrono::Utc>,
    kind: podium_core::model::community::MetricKind,
    sort: podium_core::model::community::MetricSort,
) -> (podium_core::model::community::Category, podium_core::model::community::Metric) {
    use podium_core::model::community::{Category, Metric};
    let time = Metric {
        id: MetricId::generate(),
        name: Name::parse("Time").unwrap(),
        slug: Slug::parse("time").unwrap(),
        kind,
        sort,
        required: true,
    };
    let category = Category {
        id: CategoryId::generate(),
        leaderboard_id: lb.id,
        name: Name::parse("Any%").unwrap(),
        slug: Slug::parse(slug).unwrap(),
        rules: Text::parse("", true).unwrap(),
        players_min: 1,
        players_max,
        metrics: vec![time.clone()],
        created_at: at,
        updated_at: at,
    };
    store.insert_category(&category).await.unwrap();
    (category, time)
}

/// A run of `runner` alone in `category` (no variables) giving `value` for `metric`.
fn solo_run(
    runner: &podium_core::model::community::Member,
    category: &podium_core::model::community::Category,
    metric: &podium_core::model::community::Metric,
    value: f64,
    at: chrono::DateTime<chrono::Utc>,
) -> NewRun {
    use podium_core::model::community::{Participation, Run, RunStatus, Runner};
    let run = Run {
        id: RunId::generate(),
        category_id: category.id,
        leaderboard_id: category.leaderboard_id,
        submitted_by: runner.id,
        runners: vec![Runner { id: runner.id, name: runner.name.as_str().to_owned(), deleted: false }],
        played_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        submitted_at: at,
        status: RunStatus::Submitted,
        variables: Vec::new(),
        metrics: vec![(metric.id, value)],
        video: false,
        updated_at: at,
    };
    let participations = vec![Participation {
        id: ParticipationId::generate(),
        run_id: run.id,
        user_id: runner.id,
        comment: Some(Text::parse("pb", false).unwrap()),
        vod_url: None,
        filled_at: Some(at),
    }];
    NewRun { run, participations, metrics: vec![metric.clone()], category_read_at: at }
}

/// Group commit of runs: one transaction, a savepoint per run.
async fn a_batch_of_runs_answers_each_run_and_a_refused_one_leaves_nothing(store: Arc<dyn Store>) {
    let at = now();
    let lb = celeste(&store, at).await;
    let ada = member("Ada", "ada@batch.test");
    store.insert_member(&ada, "hash").await.unwrap();
    let (category, time) = any_percent(&store, &lb, 1, at).await;
    let job = |ms: f64| solo_run(&ada, &category, &time, ms, at);
    // The second repeats the first, the third is slower than the first, the fourth beats it:
    // each run sees the ones before it in the batch.
    let batch = vec![job(1000.0), job(1000.0), job(1100.0), job(900.0)];
    let answers = store.insert_runs(&batch).await.unwrap();
    assert_eq!(
        answers,
        vec![
            Ok(()),
            Err(StoreError::Conflict { constraint: "identical".into() }),
            Err(StoreError::Conflict { constraint: "not_an_improvement".into() }),
            Ok(())
        ]
    );
    for (job, kept) in batch.iter().zip([true, false, false, true]) {
        assert_eq!(store.get_run(job.run.id).await.unwrap().is_some(), kept);
        assert_eq!(store.get_participation(job.participations[0].id).await.unwrap().is_some(), kept);
    }
    let stale = NewRun { category_read_at: at - chrono::Duration::seconds(1), ..job(800.0) };
    assert_eq!(
        store.insert_runs(&[stale]).await.unwrap(),
        vec![Err(StoreError::Conflict { constraint: "stale".into() })]
    );
}

async fn runs_keep_their_rules_statuses_and_cascades_in_one_transaction_each(store: Arc<dyn Store>) {
    use podium_core::model::community::{
        Assignment, Ban, Category, Judgement, Metric, MetricSort, Participation, Run, RunStatus, Runner, Variable,
        VariableSlug, VariableValue, VodUrl,
    };
    let at = from_micros(podium_core::time::to_micros(now()));
    let (ada, bob, mod_) = (member("Ada", "ada@x.test"), member("Bob", "bob@x.test"), member("Mo", "mo@x.test"));
    for m in [&ada, &bob, &mod_] {
        store.insert_member(m, "h").await.unwrap();
    }
    let lb = celeste(&store, at).await;
    let (category, time) = any_percent(&store, &lb, 2, at).await;
    let vid = VariableId::generate();
    let value = |slug: &str| VariableValue {
        id: VariableValueId::generate(),
        variable_id: vid,
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
    };
    let (pc, switch, ps) = (value("pc"), value("switch"), value("ps"));
    let platform = Variable {
        id: vid,
        leaderboard_id: lb.id,
        name: Name::parse("Platform").unwrap(),
        slug: VariableSlug::parse("platform").unwrap(),
        values: vec![pc.clone(), switch.clone(), ps.clone()],
        categories: vec![Assignment { category_id: category.id, required: false, obsoleting: true }],
        created_at: at,
        updated_at: at + chrono::Duration::seconds(1),
    };
    store.insert_variable(&platform, &RunEdits::default()).await.unwrap();
    let runner =
        |m: &podium_core::model::community::Member| Runner { id: m.id, name: m.name.to_string(), deleted: false };
    let run = |ms: f64, value: Option<VariableValueId>| Run {
        id: RunId::generate(),
        category_id: category.id,
        leaderboard_id: lb.id,
        submitted_by: ada.id,
        runners: vec![runner(&ada), runner(&bob)],
        played_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        submitted_at: at,
        status: RunStatus::Created,
        variables: value.map(|v| vec![(vid, v)]).unwrap_or_default(),
        metrics: vec![(time.id, ms)],
        video: false,
        updated_at: at,
    };
    let parts = |r: &Run| {
        let filled = Participation {
            id: ParticipationId::generate(),
            run_id: r.id,
            user_id: ada.id,
            comment: Some(Text::parse("gg", false).unwrap()),
            vod_url: Some(VodUrl::parse("https://v.test/1").unwrap()),
            filled_at: Some(at),
        };
        let empty = Participation {
            id: ParticipationId::generate(),
            user_id: bob.id,
            comment: None,
            vod_url: None,
            filled_at: None,
            ..filled.clone()
        };
        vec![filled, empty]
    };
    let first = run(390_000.0, Some(pc.id));
    let first_parts = parts(&first);
    // Checked against the category as read before its variable was assigned: stale.
    assert_eq!(
        store.insert_run(&first, &first_parts, &category.metrics, category.updated_at).await,
        Err(StoreError::Conflict { constraint: "stale".into() }),
        "assigning a variable changes the category's version"
    );
    store.insert_run(&first, &first_parts, &category.metrics, version(&store, category.id).await).await.unwrap();
    let stored = store.get_run(first.id).await.unwrap().unwrap();
    assert_eq!(Run { video: false, ..stored.clone() }, first);
    assert!(stored.video, "a participation links a video");
    assert_eq!(store.participations_of(first.id).await.unwrap(), first_parts);
    // The same values again, and a slower run with the same runners and values, are refused.
    let again = Run { id: RunId::generate(), ..first.clone() };
    assert_eq!(
        store.insert_run(&again, &parts(&again), &category.metrics, version(&store, category.id).await).await,
        Err(StoreError::Conflict { constraint: "identical".into() })
    );
    let slower = run(400_000.0, Some(pc.id));
    assert_eq!(
        store.insert_run(&slower, &parts(&slower), &category.metrics, version(&store, category.id).await).await,
        Err(StoreError::Conflict { constraint: "not_an_improvement".into() })
    );
    // Another value, or a faster time, is a new run.
    let on_switch = run(400_000.0, Some(switch.id));
    store
        .insert_run(&on_switch, &parts(&on_switch), &category.metrics, version(&store, category.id).await)
        .await
        .unwrap();
    // A created run cannot be judged; once the co-runner fills theirs it is submitted.
    let judge = |r: &Run, approved: Option<bool>| Judgement {
        id: JudgementId::generate(),
        run_id: r.id,
        judge_id: mod_.id,
        note: Text::parse("ok", true).unwrap(),
        approved,
        created_at: at,
    };
    assert_eq!(
        store.insert_judgement(&judge(&first, Some(true))).await,
        Err(StoreError::Conflict { constraint: "not_submitted".into() })
    );
    let mut bobs = first_parts[1].clone();
    assert_eq!(store.member_participations(bob.id, true).await.unwrap().len(), 2);
    bobs.comment = Some(Text::parse("mine", false).unwrap());
    bobs.filled_at = Some(at);
    assert_eq!(store.fill_participation(&bobs).await.unwrap().status, RunStatus::Submitted);
    assert_eq!(store.fill_participation(&bobs).await, Err(StoreError::Conflict { constraint: "filled".into() }));
    assert_eq!(store.get_participation(bobs.id).await.unwrap().as_ref(), Some(&bobs));
    assert_eq!(store.member_participations(bob.id, true).await.unwrap().len(), 1);
    assert_eq!(store.insert_judgement(&judge(&first, None)).await.unwrap().status, RunStatus::Submitted);
    assert_eq!(store.insert_judgement(&judge(&first, Some(true))).await.unwrap().status, RunStatus::Approved);
    assert_eq!(store.judgements_of(first.id).await.unwrap().len(), 2);
    assert_eq!(store.approved_runs(category.id).await.unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [first.id]);
    assert!(store.category_ids().await.unwrap().contains(&category.id));
    // Filters select by value; a deleted value moves its runs to the replacement.
    let codec = CursorCodec::new(b"contract-secret-contract-secret!").unwrap();
    let req = PageRequest::prepare(&ListParams::default(), Run::SORTABLE, "submitted_at:desc", "runs", &codec).unwrap();
    let filter = |values: Vec<VariableValueId>| RunFilter {
        scope: RunScope::Category(category.id),
        status: None,
        variables: vec![(vid, values)],
    };
    assert_eq!(store.list_runs(&filter(vec![pc.id]), &req).await.unwrap().len(), 1);
    assert_eq!(store.list_runs(&filter(vec![pc.id, switch.id]), &req).await.unwrap().len(), 2);
    // The leaderboard's queue: its categories' runs of one status, and their counts.
    let queue = RunFilter { scope: RunScope::Leaderboard(lb.id), status: Some(RunStatus::Created), variables: vec![] };
    assert_eq!(
        store.list_runs(&queue, &req).await.unwrap().iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![on_switch.id]
    );
    assert_eq!(store.count_runs(lb.id, RunStatus::Created).await.unwrap(), vec![(category.id, 1)]);
    assert_eq!(store.count_runs(lb.id, RunStatus::Rejected).await.unwrap(), vec![]);
    let mut edited = platform.clone();
    edited.values.retain(|v| v.id != switch.id);
    edited.updated_at = at + chrono::Duration::seconds(1);
    let replace = RunEdits { fill: Vec::new(), replace: vec![(switch.id, Some(ps.id))] };
    store.update_variable(&edited, platform.updated_at, &replace).await.unwrap();
    assert_eq!(store.get_run(on_switch.id).await.unwrap().unwrap().variables, vec![(vid, ps.id)]);
    // The rules follow the moved values: the same run on the replacement is identical now.
    let moved = Run { id: RunId::generate(), variables: vec![(vid, ps.id)], ..on_switch.clone() };
    assert_eq!(
        store.insert_run(&moved, &parts(&moved), &category.metrics, version(&store, category.id).await).await,
        Err(StoreError::Conflict { constraint: "identical".into() })
    );
    // A site ban rejects every run of the member by a recorded judgement, and ends their
    // modships and tokens; an approval of a banned runner's run is then refused.
    let ban = Ban {
        id: BanId::generate(),
        user_id: bob.id,
        leaderboard_id: None,
        reason: Text::parse("cheating", false).unwrap(),
        banned_by: mod_.id,
        created_at: at + chrono::Duration::seconds(2),
        lifted_at: None,
        lifted_by: None,
    };
    let mut rejected = store.insert_ban(&ban, "banned: cheating").await.unwrap();
    rejected.sort();
    let mut expected = vec![first.id, on_switch.id];
    expected.sort();
    assert_eq!(rejected, expected);
    assert_eq!(store.get_run(first.id).await.unwrap().unwrap().status, RunStatus::Rejected);
    assert_eq!(store.get_run(on_switch.id).await.unwrap().unwrap().status, RunStatus::Rejected, "even a created run");
    assert!(store.approved_runs(category.id).await.unwrap().is_empty());
    assert_eq!(
        store.insert_judgement(&judge(&first, Some(true))).await,
        Err(StoreError::Conflict { constraint: "runner_banned".into() })
    );
    assert_eq!(store.active_bans(bob.id).await.unwrap(), vec![ban.clone()]);
    let while_banned = run(380_000.0, Some(pc.id));
    assert_eq!(
        store
            .insert_run(&while_banned, &parts(&while_banned), &category.metrics, version(&store, category.id).await)
            .await,
        Err(StoreError::Conflict { constraint: "runner_banned".into() }),
        "a banned runner is refused under their row's lock"
    );
    let bans_req =
        PageRequest::prepare(&ListParams::default(), Ban::SORTABLE, "created_at:desc", "bans", &codec).unwrap();
    assert_eq!(store.list_bans(Some(bob.id), Some(None), false, &bans_req).await.unwrap(), vec![ban.clone()]);
    let lifted = store.lift_ban(ban.id, mod_.id, at + chrono::Duration::seconds(3)).await.unwrap();
    assert_eq!((lifted.lifted_by, lifted.active()), (Some(mod_.id), false));
    assert_eq!(store.lift_ban(ban.id, mod_.id, at).await, Err(StoreError::Conflict { constraint: "lifted".into() }));
    assert!(store.list_bans(Some(bob.id), None, false, &bans_req).await.unwrap().is_empty());
    assert_eq!(store.list_bans(Some(bob.id), None, true, &bans_req).await.unwrap().len(), 1);
    // Lifting restores nothing: moderators re-judge.
    // The newest judgement is the last one committed, even when its clock is behind.
    assert_eq!(store.insert_judgement(&judge(&first, Some(true))).await.unwrap().status, RunStatus::Approved);
    // A run the ban rejected while a participation was empty still cannot be judged.
    assert_eq!(
        store.insert_judgement(&judge(&on_switch, Some(true))).await,
        Err(StoreError::Conflict { constraint: "not_submitted".into() })
    );
    // Deleting an account removes its participations; its runs stay, the runner shown deleted.
    let mut touched = store.delete_member(bob.id, at).await.unwrap();
    touched.sort();
    assert_eq!(touched, expected);
    assert_eq!(store.participations_of(first.id).await.unwrap().len(), 1);
    let kept = store.get_run(first.id).await.unwrap().unwrap();
    assert_eq!(kept.runners.iter().map(|r| r.deleted).collect::<Vec<_>>(), [false, true]);
    assert!(kept.ranks(), "one runner left");
    let with_deleted = run(1.0, None);
    assert_eq!(
        store
            .insert_run(&with_deleted, &parts(&with_deleted), &category.metrics, version(&store, category.id).await)
            .await,
        Err(StoreError::Conflict { constraint: "reference".into() }),
        "a run cannot name a deleted account"
    );
    // A metric that runs use keeps its kind and sort.
    let resorted = Category {
        metrics: vec![Metric { sort: MetricSort::Desc, ..time.clone() }],
        updated_at: at + chrono::Duration::seconds(6),
        ..category.clone()
    };
    assert_eq!(
        store.update_category(&resorted, version(&store, category.id).await).await,
        Err(StoreError::Conflict { constraint: "metric_in_use".into() })
    );
    // A deleted value without a replacement leaves the runs (the variable is optional here);
    // a default fills the runs with no value, once; unassigning clears the values.
    let mut current = store.get_variable(vid).await.unwrap().unwrap();
    let read = current.updated_at;
    current.values.retain(|v| v.id != ps.id);
    current.values.push(value("xbox"));
    current.updated_at = at + chrono::Duration::seconds(7);
    let cleared = RunEdits { fill: Vec::new(), replace: vec![(ps.id, None)] };
    store.update_variable(&current, read, &cleared).await.unwrap();
    assert!(store.get_run(on_switch.id).await.unwrap().unwrap().variables.is_empty());
    let read = current.updated_at;
    current.updated_at = at + chrono::Duration::seconds(8);
    let fill = RunEdits { fill: vec![(category.id, pc.id)], replace: Vec::new() };
    store.update_variable(&current, read, &fill).await.unwrap();
    assert_eq!(store.get_run(on_switch.id).await.unwrap().unwrap().variables, vec![(vid, pc.id)]);
    let required = Variable {
        categories: vec![Assignment { category_id: category.id, required: true, obsoleting: true }],
        updated_at: at + chrono::Duration::seconds(9),
        ..current.clone()
    };
    store.update_variable(&required, current.updated_at, &RunEdits::default()).await.unwrap();
    let without_pc = Variable {
        values: required.values.iter().filter(|v| v.id != pc.id).cloned().collect(),
        updated_at: at + chrono::Duration::seconds(10),
        ..required.clone()
    };
    let clear_pc = RunEdits { fill: Vec::new(), replace: vec![(pc.id, None)] };
    assert_eq!(
        store.update_variable(&without_pc, required.updated_at, &clear_pc).await,
        Err(StoreError::Conflict { constraint: "value_in_use".into() }),
        "a required value that runs use needs a replacement"
    );
    assert_eq!(store.get_variable(vid).await.unwrap().unwrap(), required, "the refused edit left nothing behind");
    // Deleting the category deletes its runs with everything they hold.
    store.delete_category(category.id).await.unwrap();
    assert!(store.get_run(first.id).await.unwrap().is_none());
    assert!(store.get_participation(first_parts[0].id).await.unwrap().is_none());
    assert!(store.member_participations(ada.id, false).await.unwrap().is_empty());
    let gone = run(1.0, None);
    assert_eq!(
        store.insert_run(&gone, &parts(&gone), &category.metrics, category.updated_at).await,
        Err(StoreError::NotFound),
        "the category is gone"
    );
}

/// The identical and must-improve rules compare metric values exactly, whether a run's values
/// are read from its row's `metric_key` or, for runs stored before that column existed, from
/// `community_run_metrics`.
async fn the_run_rules_compare_stored_metric_values_exactly_old_rows_included(db: &podium_testkit::TestDb) {
    use podium_core::model::community::{MetricKind, MetricSort};
    let store = db.store();
    let at = now();
    let lb = celeste(&store, at).await;
    let ada = member("Ada", "ada@exact.test");
    store.insert_member(&ada, "hash").await.unwrap();
    let (category, points) = category_by(&store, &lb, "points", 1, at, MetricKind::Score, MetricSort::Desc).await;
    let tricky = 0.1 + 0.2; // 0.30000000000000004: 17 significant digits
    let conflict = |c: &str| Err(StoreError::Conflict { constraint: c.into() });
    let run = |v: f64| solo_run(&ada, &category, &points, v, at);
    assert_eq!(store.insert_runs(&[run(tricky)]).await.unwrap(), vec![Ok(())]);
    let check = || async {
        // The same value is identical; 0.3 is a different value and lower, so no improvement.
        assert_eq!(
            store.insert_runs(&[run(tricky), run(0.3)]).await.unwrap(),
            vec![conflict("identical"), conflict("not_an_improvement")]
        );
    };
    check().await;
    db.execute("UPDATE community_runs SET metric_key = NULL").await;
    check().await;
    assert_eq!(store.insert_runs(&[run(0.5)]).await.unwrap(), vec![Ok(())]);
    // The new run has its key, the old one still has none: each is compared.
    assert_eq!(
        store.insert_runs(&[run(0.5), run(tricky), run(0.4)]).await.unwrap(),
        vec![conflict("identical"), conflict("identical"), conflict("not_an_improvement")]
    );
}

/// One group's rule read covers several categories and runner sets at once: each run is
/// compared with its own set's stored runs only.
async fn a_batch_over_several_categories_and_runner_sets_compares_each_run_with_its_own(store: Arc<dyn Store>) {
    use podium_core::model::community::{MetricKind, MetricSort};
    let at = now();
    let lb = celeste(&store, at).await;
    let (ada, bob) = (member("Ada", "ada@sets.test"), member("Bob", "bob@sets.test"));
    for m in [&ada, &bob] {
        store.insert_member(m, "hash").await.unwrap();
    }
    let (any, time) = any_percent(&store, &lb, 1, at).await;
    let (low, low_time) = category_by(&store, &lb, "low", 1, at, MetricKind::Time, MetricSort::Asc).await;
    let stored = [
        solo_run(&ada, &any, &time, 1000.0, at),
        solo_run(&bob, &any, &time, 2000.0, at),
        solo_run(&ada, &low, &low_time, 3000.0, at),
    ];
    assert_eq!(store.insert_runs(&stored).await.unwrap(), vec![Ok(()), Ok(()), Ok(())]);
    let batch = [
        solo_run(&ada, &any, &time, 1500.0, at),     // slower than Ada's 1000 here
        solo_run(&bob, &any, &time, 1500.0, at),     // beats Bob's 2000
        solo_run(&ada, &low, &low_time, 2500.0, at), // beats Ada's 3000 there
        solo_run(&bob, &low, &low_time, 5000.0, at), // Bob's first there
        solo_run(&ada, &any, &time, 999.0, at),      // beats Ada's 1000 (her 1500 was refused)
    ];
    assert_eq!(
        store.insert_runs(&batch).await.unwrap(),
        vec![Err(StoreError::Conflict { constraint: "not_an_improvement".into() }), Ok(()), Ok(()), Ok(()), Ok(())]
    );
}

/// The largest runner set a category allows (100) is stored and checked like any other: its key
/// is longer than a PostgreSQL index entry may be.
async fn a_run_of_a_hundred_runners_is_stored_and_its_duplicate_refused(store: Arc<dyn Store>) {
    use podium_core::model::community::{Participation, Runner};
    let at = now();
    let lb = celeste(&store, at).await;
    let mut runners = Vec::new();
    for i in 0..100 {
        let m = member(&format!("Runner{i}"), &format!("runner{i}@many.test"));
        store.insert_member(&m, "hash").await.unwrap();
        runners.push(m);
    }
    let (category, time) = any_percent(&store, &lb, 100, at).await;
    let run = || {
        let mut job = solo_run(&runners[0], &category, &time, 1000.0, at);
        job.run.runners =
            runners.iter().map(|m| Runner { id: m.id, name: m.name.as_str().to_owned(), deleted: false }).collect();
        job.participations.extend(runners[1..].iter().map(|m| Participation {
            id: ParticipationId::generate(),
            run_id: job.run.id,
            user_id: m.id,
            comment: None,
            vod_url: None,
            filled_at: None,
        }));
        job
    };
    assert!(run().run.runner_key().len() > 3000);
    assert_eq!(store.insert_runs(&[run()]).await.unwrap(), vec![Ok(())]);
    assert_eq!(
        store.insert_runs(&[run()]).await.unwrap(),
        vec![Err(StoreError::Conflict { constraint: "identical".into() })]
    );
}

#[tokio::test]
async fn sqlite_the_run_rules_compare_stored_metric_values_exactly_old_rows_included() {
    let db = podium_testkit::TestDb::sqlite().await;
    the_run_rules_compare_stored_metric_values_exactly_old_rows_included(&db).await;
}

#[tokio::test]
async fn postgres_the_run_rules_compare_stored_metric_values_exactly_old_rows_included() {
    let Some(db) = podium_testkit::TestDb::postgres().await else { return };
    the_run_rules_compare_stored_metric_values_exactly_old_rows_included(&db).await;
}

async fn activity_batches_policies_days_and_history_round_trip(store: Arc<dyn Store>) {
    use podium_core::activity::UserDay;
    use podium_core::model::activity::{Key, Outcome};
    use podium_core::store::{
        ActivityDayRow, ActivityHistoryRow, ActivityTotalRow, ActivityWrite, StoredActivityEvent,
    };
    let a = account("acme");
    store.insert_account(&a).await.unwrap();
    let g = game(&a, "divan");
    store.insert_game(&g).await.unwrap();
    let at = podium_core::time::from_micros(podium_core::time::to_micros(now()));
    assert_eq!(store.get_activity_policy(g.id).await.unwrap(), None);
    let doc = serde_json::json!({"daily_caps": {"dms": 3}});
    store.put_activity_policy(g.id, &doc, at).await.unwrap();
    store.put_activity_policy(g.id, &doc, at).await.unwrap();
    assert_eq!(store.get_activity_policy(g.id).await.unwrap(), Some((doc, at)));
    let (ann, bo) = (Key::parse("ann").unwrap(), Key::parse("bo").unwrap());
    let event = |id: &str, seq: i64, users: Vec<Key>| StoredActivityEvent {
        game_id: g.id,
        event_id: Key::parse(id).unwrap(),
        seq,
        event_type: Some("dm_sent".into()),
        at: Some(at),
        received_at: at,
        fields: serde_json::json!({"from": "ann", "to": "bo"}),
        outcome: Outcome::Counted,
        users: users.clone(),
        result: serde_json::json!({"users": users.iter().map(|u| (u.to_string(), serde_json::json!({"outcome": "counted"}))).collect::<serde_json::Map<_, _>>()}),
    };
    let flag = podium_core::model::activity::ActivityFlag {
        id: podium_core::id::ActivityFlagId::generate(),
        game_id: g.id,
        user: "ann".into(),
        flag_type: podium_core::activity::ActivityFlagType::WinTrading,
        status: podium_core::model::FlagStatus::Pending,
        events: vec!["e1".into(), "e2".into()],
        metadata: serde_json::json!({"alternations": 4}),
        reviewer_id: None,
        reviewer_decision: None,
        reviewed_at: None,
        created_at: at,
        updated_at: at,
    };
    let day = at.date_naive();
    let value = UserDay { points: [2, 0, 0, 0], active: true, streak: 1, multiplier: 1.0, total: 2 };
    let entry = |user: &Key, seq: i64, id: &str| ActivityHistoryRow {
        game_id: g.id,
        user: user.clone(),
        seq,
        event_id: Key::parse(id).unwrap(),
    };
    let write = ActivityWrite {
        events: vec![
            (&event("e1", 1, vec![ann.clone(), bo.clone()])).into(),
            (&event("e2", 2, vec![ann.clone()])).into(),
        ],
        days: vec![ActivityDayRow { game_id: g.id, user: ann.clone(), day, value }],
        totals: vec![ActivityTotalRow { game_id: g.id, user: ann.clone(), sums: [2, 0, 0, 0, 2] }],
        history: vec![entry(&ann, 1, "e1"), entry(&bo, 1, "e1")],
        flushed: vec![(g.id, 1)],
        flags: vec![flag.clone()],
        fence: None,
    };
    assert_eq!(store.activity_flushed_seq(g.id).await.unwrap(), 0);
    let before = store.activity_version(g.id).await.unwrap();
    assert_eq!(before.0, 0, "no events yet");
    assert_ne!(before.2, 0, "the policy was set");
    store.insert_activity_batch(&write).await.unwrap();
    assert_eq!(store.activity_flushed_seq(g.id).await.unwrap(), 1);
    let after = store.activity_version(g.id).await.unwrap();
    assert_eq!((after.0, after.2), (2, before.2), "the highest seq moved, the policy did not");
    assert_ne!(after.1, 0, "the flag raised counts");
    // The next values of the same day and sums replace them; history entries of an event
    // stored earlier join it.
    let later = UserDay { total: 4, points: [4, 0, 0, 0], ..value };
    let again = ActivityWrite {
        events: vec![(&event("e3", 3, vec![bo.clone()])).into()],
        days: vec![ActivityDayRow { game_id: g.id, user: ann.clone(), day, value: later }],
        totals: vec![ActivityTotalRow { game_id: g.id, user: ann.clone(), sums: [4, 0, 0, 0, 4] }],
        history: vec![entry(&ann, 2, "e2"), entry(&bo, 3, "e3")],
        flushed: vec![(g.id, 3)],
        flags: Vec::new(),
        fence: None,
    };
    store.insert_activity_batch(&again).await.unwrap();
    assert_eq!(store.activity_flushed_seq(g.id).await.unwrap(), 3);
    // A watermark never goes back.
    let older = ActivityWrite { flushed: vec![(g.id, 1)], ..ActivityWrite::default() };
    store.insert_activity_batch(&older).await.unwrap();
    assert_eq!(store.activity_flushed_seq(g.id).await.unwrap(), 3);
    let mut known = store.known_activity_events(g.id, &["e1", "e3", "nope"]).await.unwrap();
    known.sort();
    assert_eq!(known, ["e1", "e3"]);
    assert_eq!(store.last_activity_seq(g.id).await.unwrap(), 3);
    let since = store.activity_events_since(g.id, at, 3).await.unwrap();
    assert_eq!(since.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(since[0], event("e1", 1, vec![ann.clone(), bo.clone()]));
    // Events above the watermark come back however old they are.
    let later_than = at + chrono::Duration::seconds(1);
    assert!(store.activity_events_since(g.id, later_than, 3).await.unwrap().is_empty());
    let above = store.activity_events_since(g.id, later_than, 1).await.unwrap();
    assert_eq!(above.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    let history = store.user_activity_events(g.id, &ann, at, None, 10).await.unwrap();
    assert_eq!(history.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["e2", "e1"]);
    let older = store.user_activity_events(g.id, &ann, at, Some(2), 10).await.unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(
        store.activity_days(g.id, day).await.unwrap(),
        vec![ActivityDayRow { game_id: g.id, user: ann.clone(), day, value: later }]
    );
    assert_eq!(store.activity_totals(g.id).await.unwrap()[0].sums, [4, 0, 0, 0, 4]);
    assert_eq!(store.activity_games().await.unwrap(), vec![g.id]);
    assert_eq!(store.get_activity_flag(flag.id).await.unwrap(), Some(flag.clone()));
    let codec = CursorCodec::new(&store.cursor_secret().await.unwrap()).unwrap();
    let filter =
        podium_core::store::ActivityFlagFilter { game_id: Some(g.id), user: Some(ann.clone()), ..Default::default() };
    assert_eq!(
        store.list_activity_flags(&filter, &page("created_at:desc", 10, None, &codec)).await.unwrap(),
        vec![flag.clone()]
    );
    let by_id = store.activity_events_by_id(g.id, &["e2", "e1", "nope"]).await.unwrap();
    assert_eq!(by_id.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["e1", "e2"]);
    let reviewed = podium_core::model::activity::ActivityFlag {
        status: podium_core::model::FlagStatus::ConfirmedCheat,
        reviewer_decision: Some("traded".into()),
        reviewed_at: Some(at),
        ..flag.clone()
    };
    let review = podium_core::store::ActivityReview {
        flag: reviewed.clone(),
        removed: vec![Key::parse("e1").unwrap()],
        days: vec![ActivityDayRow {
            game_id: g.id,
            user: ann.clone(),
            day,
            value: UserDay { total: 0, points: [0; 4], ..value },
        }],
        totals: vec![ActivityTotalRow { game_id: g.id, user: ann.clone(), sums: [0; 5] }],
        fence: None,
    };
    store.review_activity_flag(&review).await.unwrap();
    assert_eq!(store.get_activity_flag(flag.id).await.unwrap(), Some(reviewed));
    assert_eq!(store.activity_removed(g.id, &ann, &["e1", "e2"]).await.unwrap(), ["e1"]);
    assert_eq!(store.activity_totals(g.id).await.unwrap()[0].sums, [0; 5]);
    // The same removal twice is refused as a whole (a second flag never removes them again).
    assert!(store.review_activity_flag(&review).await.is_err());
    // Frozen days and their badges: once per day, replaced after a review.
    assert_eq!(store.activity_day(g.id, day).await.unwrap().len(), 1);
    assert_eq!(store.last_frozen_activity_day(g.id).await.unwrap(), None);
    let badge = podium_core::model::activity::ActivityBadge {
        game_id: g.id,
        day,
        category: "total".into(),
        user: "ann".into(),
        rank: 1,
        points: 4,
    };
    assert!(store.freeze_activity_day(g.id, day, std::slice::from_ref(&badge), at).await.unwrap());
    assert!(!store.freeze_activity_day(g.id, day, std::slice::from_ref(&badge), at).await.unwrap());
    assert_eq!(store.last_frozen_activity_day(g.id).await.unwrap(), Some(day));
    assert_eq!(store.frozen_activity_days(g.id, &[day, day.succ_opt().unwrap()]).await.unwrap(), vec![day]);
    let badges = |user: Option<Key>| {
        let store = store.clone();
        let codec = CursorCodec::new(b"0123456789abcdef0123456789abcdef").unwrap();
        let req = PageRequest::prepare(&ListParams::default(), &["day"], "day:desc", "badges", &codec).unwrap();
        async move { store.list_activity_badges(g.id, user.as_ref(), &req).await.unwrap() }
    };
    assert_eq!(badges(Some(ann.clone())).await, vec![badge.clone()]);
    let bo_badge = podium_core::model::activity::ActivityBadge { user: "bo".into(), ..badge.clone() };
    store.replace_activity_badges(g.id, day, std::slice::from_ref(&bo_badge)).await.unwrap();
    assert_eq!(badges(None).await, vec![bo_badge]);
    // A batch that repeats a stored event id fails as a whole and leaves nothing.
    let clash = ActivityWrite {
        events: vec![(&event("e4", 4, vec![])).into(), (&event("e1", 5, vec![])).into()],
        ..ActivityWrite::default()
    };
    assert!(store.insert_activity_batch(&clash).await.is_err());
    assert_eq!(store.last_activity_seq(g.id).await.unwrap(), 3);
}

async fn the_change_log_numbers_concurrent_appends_densely_in_commit_order_and_rings_its_doorbell(
    store: Arc<dyn Store>,
) {
    assert_eq!(store.last_change().await.unwrap(), 0);
    let mut bell = store.change_doorbell().await.unwrap();
    assert_eq!(bell.is_some(), store.backend() == "postgres", "PostgreSQL rings, SQLite (one node) has no doorbell");
    // Eight nodes append at once, 25 batches of 3 each.
    let appends = (0..8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            for b in 0..25 {
                let bodies: Vec<String> = (0..3).map(|i| format!("{{\"n\":{n},\"b\":{b},\"i\":{i}}}")).collect();
                store.append_changes(&format!("node{n}"), 1_000 + b, &bodies).await.unwrap();
            }
        })
    });
    for a in futures_util::future::join_all(appends).await {
        a.unwrap();
    }
    assert_eq!(store.last_change().await.unwrap(), 600);
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = store.changes_after(after, 64).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        all.extend(page);
    }
    assert_eq!(all.iter().map(|c| c.seq).collect::<Vec<_>>(), (1..=600).collect::<Vec<_>>(), "dense and in order");
    // Each node's changes come in the order it appended them, each batch's three together.
    for n in 0..8 {
        let mine: Vec<&StoredChange> = all.iter().filter(|c| c.node == format!("node{n}")).collect();
        assert_eq!(mine.len(), 75);
        for (k, c) in mine.iter().enumerate() {
            let (b, i) = (k / 3, k % 3);
            assert_eq!(c.body, format!("{{\"n\":{n},\"b\":{b},\"i\":{i}}}"));
            assert_eq!(c.at_micros, 1_000 + b as i64);
            if i > 0 {
                assert_eq!(c.seq, mine[k - 1].seq + 1, "a batch is numbered without a gap");
            }
        }
    }
    if let Some(bell) = bell.as_mut() {
        tokio::time::timeout(std::time::Duration::from_secs(5), bell.rung()).await.expect("the doorbell rang").unwrap();
    }
    // Pruning keeps the last change, so numbering continues after it.
    assert_eq!(store.prune_changes(1_000 + 25).await.unwrap(), 599);
    assert_eq!(store.changes_after(0, 10).await.unwrap().iter().map(|c| c.seq).collect::<Vec<_>>(), vec![600]);
    assert_eq!(store.append_changes("node0", 2_000, &["{}".to_owned()]).await.unwrap(), 601);
}

async fn a_lease_is_held_by_one_node_at_a_time_and_a_write_under_a_lost_one_stores_nothing(store: Arc<dyn Store>) {
    use podium_core::store::ActivityWrite;
    let a = account("acme");
    store.insert_account(&a).await.unwrap();
    let g = game(&a, "divan");
    store.insert_game(&g).await.unwrap();
    let mut first = store.try_lease(4242).await.unwrap().expect("a free lease is taken");
    if store.backend() != "postgres" {
        // SQLite is one node: it always holds every lease, and its writes name none.
        assert!(first.fence().is_none());
        assert!(store.try_lease(4242).await.unwrap().is_some());
        assert!(first.held().await);
        return;
    }
    assert!(store.try_lease(4242).await.unwrap().is_none(), "held by the first node");
    assert!(first.held().await);
    let old = first.fence().expect("PostgreSQL fences writes");
    let write =
        |seq: i64, fence| ActivityWrite { flushed: vec![(g.id, seq)], fence: Some(fence), ..ActivityWrite::default() };
    store.insert_activity_batch(&write(1, old)).await.unwrap();
    first.release().await;
    let second = store.try_lease(4242).await.unwrap().expect("free again once released");
    let refused = store.insert_activity_batch(&write(2, old)).await;
    assert!(matches!(refused, Err(podium_core::store::StoreError::Unavailable(_))), "{refused:?}");
    assert_eq!(store.activity_flushed_seq(g.id).await.unwrap(), 1, "nothing of the refused write");
    store.insert_activity_batch(&write(2, second.fence().unwrap())).await.unwrap();
    assert_eq!(store.activity_flushed_seq(g.id).await.unwrap(), 2);
    // The server releases a lease whose connection ends, however the node ends.
    drop(second);
    let mut third = None;
    for _ in 0..50 {
        third = store.try_lease(4242).await.unwrap();
        if third.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(third.is_some(), "a dropped lease is released");
}

fn board_template(game: &Game, slug: &str) -> BoardTemplate {
    let at = now();
    BoardTemplate {
        id: TemplateId::generate(),
        account_id: game.account_id,
        game_id: game.id,
        name: Name::parse(slug).unwrap(),
        slug: Slug::parse(slug).unwrap(),
        name_pattern: Pattern::parse("Week {week}").unwrap(),
        slug_pattern: Pattern::parse("week-{week_year}-{week}").unwrap(),
        schedule: Schedule::parse("0 6 * * MON").unwrap(),
        time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
        duration_seconds: Some(3600),
        board: BoardDefaults::from_trusted(BoardDefaultsInput {
            unit: Some("ms".into()),
            tags: Some(vec!["weekly".into()]),
            board_type: Some(BoardType::RunRuns),
            sort_direction: Some(SortDirection::Ascending),
            min_value: Some(1.0),
            ..BoardDefaultsInput::default()
        }),
        is_active: true,
        starts_at: at,
        ends_at: Some(from_micros(4_102_444_800_000_000)),
        created_at: at,
        updated_at: at,
        deleted_at: None,
    }
}

async fn templates_round_trip_and_each_period_is_stamped_out_once(store: Arc<dyn Store>) {
    let codec = CursorCodec::new(&store.cursor_secret().await.unwrap()).unwrap();
    let a = account("acme");
    store.insert_account(&a).await.unwrap();
    let g = game(&a, "space-race");
    store.insert_game(&g).await.unwrap();
    let mut t = board_template(&g, "weekly");
    store.insert_template(&t).await.unwrap();
    assert_eq!(store.get_template(t.id).await.unwrap(), Some(t.clone()));
    assert_eq!(
        store.insert_template(&board_template(&g, "weekly")).await,
        Err(StoreError::Conflict { constraint: "slug".into() })
    );
    let paused = BoardTemplate { is_active: false, ..board_template(&g, "paused") };
    store.insert_template(&paused).await.unwrap();
    let req = page("slug:asc", 10, None, &codec);
    let filter = TemplateFilter { account_id: a.id, game_id: Some(g.id), slug: None };
    assert_eq!(store.list_templates(&filter, &req).await.unwrap().len(), 2);
    let by_slug = TemplateFilter { slug: Some("paused".into()), ..filter.clone() };
    assert_eq!(store.list_templates(&by_slug, &req).await.unwrap(), vec![paused.clone()]);
    assert_eq!(store.active_templates().await.unwrap(), vec![t.clone()]);
    t.duration_seconds = None;
    t.name_pattern = Pattern::parse("Cup {series}").unwrap();
    store.update_template(&t).await.unwrap();
    assert_eq!(store.get_template(t.id).await.unwrap(), Some(t.clone()));

    // Stamped-out boards: one per (template, series), deleted ones included.
    assert_eq!(store.last_period(t.id).await.unwrap(), None);
    let stamped = |series: i64, slug: &str, code: &str| Board {
        template_id: Some(t.id),
        series: Some(series),
        period_start: Some(from_micros(series * 1_000_000)),
        ..board(&g, slug, code)
    };
    let first = stamped(1, "week-1", "TPL001");
    store.insert_board(&first).await.unwrap();
    assert_eq!(store.get_board(first.id).await.unwrap(), Some(first.clone()));
    assert_eq!(
        store.insert_board(&stamped(1, "week-1-again", "TPL002")).await,
        Err(StoreError::Conflict { constraint: "series".into() })
    );
    let mut second = stamped(2, "week-2", "TPL003");
    store.insert_board(&second).await.unwrap();
    assert_eq!(
        store.last_period(t.id).await.unwrap(),
        Some(LastPeriod { series: 2, period_start: from_micros(2_000_000) })
    );
    second.deleted_at = Some(now());
    store.update_board(&second).await.unwrap();
    assert_eq!(store.last_period(t.id).await.unwrap().map(|p| p.series), Some(2), "a deleted board's period counts");
    store.insert_board(&stamped(3, "week-3", "TPL004")).await.unwrap();
    assert_eq!(store.close_boards_before(t.id, 3, now()).await.unwrap(), 1, "the live, active boards before 3");
    assert!(!store.get_board(first.id).await.unwrap().unwrap().is_active);
    assert_eq!(store.close_boards_before(t.id, 3, now()).await.unwrap(), 0);
    let filter = BoardFilter {
        account_id: a.id,
        game_id: None,
        slug: None,
        code: None,
        is_active: None,
        is_published: None,
        tag: None,
        template_id: Some(t.id),
    };
    let seasons = store.list_boards(&filter, &page("series:desc", 10, None, &codec)).await.unwrap();
    assert_eq!(seasons.iter().map(|b| b.series.unwrap()).collect::<Vec<_>>(), vec![3, 1]);

    // Deleting the game deletes its templates.
    let mut g = g;
    g.deleted_at = Some(now());
    store.update_game(&g).await.unwrap();
    assert_eq!(store.get_template(t.id).await.unwrap(), None);
    assert!(store.active_templates().await.unwrap().is_empty());
}

macro_rules! contract {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let db = podium_testkit::TestDb::sqlite().await;
                    super::$scenario(db.store()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let Some(db) = podium_testkit::TestDb::postgres().await else { return };
                    super::$scenario(db.store()).await;
                }
            )*
        }
    };
}

contract!(
    accounts_round_trip_and_hide_deleted_rows,
    the_change_log_numbers_concurrent_appends_densely_in_commit_order_and_rings_its_doorbell,
    a_lease_is_held_by_one_node_at_a_time_and_a_write_under_a_lost_one_stores_nothing,
    lists_page_forward_and_backward_without_overlap,
    users_keep_emails_unique_and_find_the_first_super_admin,
    api_keys_authenticate_in_one_read_and_record_last_use,
    bootstrap_inserts_are_atomic,
    games_and_boards_round_trip_and_deleting_a_game_deletes_its_boards,
    templates_round_trip_and_each_period_is_stamped_out_once,
    system_answers_ping_and_keeps_one_cursor_secret,
    scores_commit_in_batches_stream_back_exactly_and_rebuild,
    members_keep_names_unique_ignoring_case_and_deleting_one_ends_its_tokens,
    leaderboards_keep_slugs_unique_and_modships_one_per_member_and_leaderboard,
    categories_round_trip_with_their_metrics_in_order,
    variables_round_trip_and_leave_with_their_last_category,
    runs_keep_their_rules_statuses_and_cascades_in_one_transaction_each,
    a_batch_of_runs_answers_each_run_and_a_refused_one_leaves_nothing,
    a_run_of_a_hundred_runners_is_stored_and_its_duplicate_refused,
    a_batch_over_several_categories_and_runner_sets_compares_each_run_with_its_own,
    activity_batches_policies_days_and_history_round_trip,
);

//! The `podium` binary itself: its help, subcommands, configuration defaults, the printed
//! bootstrap key, JSON logs without secrets, and graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_podium");

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("podium-proc-{}", podium_core::id::GameId::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn podium(dir: &PathBuf) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("PODIUM_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

#[test]
fn help_explains_every_subcommand() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in
        ["serve", "migrate", "bootstrap", "Run the server", "Apply pending database migrations", "Create a superadmin"]
    {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for env in
        ["PODIUM_LISTEN", "PODIUM_DATABASE_URL", "PODIUM_BOOTSTRAP_API_KEY", "PODIUM_LOG_LEVEL", "PODIUM_LOG_FORMAT"]
    {
        assert!(help.contains(env), "{env} missing from:\n{help}");
    }
}

#[test]
fn migrate_creates_the_default_sqlite_file_in_the_working_directory() {
    let dir = temp_dir();
    let out = podium(&dir).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("podium.db").exists());
    // Running it again is a no-op.
    assert!(podium(&dir).arg("migrate").output().unwrap().status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

fn printed_key(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.split_whitespace().find(|w| w.starts_with("pdm_")).unwrap_or_else(|| panic!("no key in {text}")).to_owned()
}

#[tokio::test]
async fn bootstrap_prints_a_working_key_and_issues_a_new_one_on_demand() {
    let dir = temp_dir();
    let out = podium(&dir).arg("bootstrap").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = printed_key(&out.stdout);
    let out = podium(&dir).args(["bootstrap", "--if-missing"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("already exists"));
    let out = podium(&dir).arg("bootstrap").output().unwrap();
    let second = printed_key(&out.stdout);
    assert_ne!(first, second);

    let url = format!("sqlite://{}", dir.join("podium.db").display());
    let backend = podium_store::Backend::connect(&url).await.unwrap();
    let store = backend.clone().into_store();
    let shared = podium::app::shared_state(store.clone(), &podium::app::ClientSettings::default());
    let admin = podium_core::service::Admin::new(store, shared).await.unwrap();
    for key in [&first, &second] {
        assert!(admin.authenticate(key).await.unwrap().super_admin);
    }
    backend.close().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bootstrap_key_shorter_than_sixteen_characters_is_refused() {
    let dir = temp_dir();
    let out = podium(&dir).arg("bootstrap").env("PODIUM_BOOTSTRAP_API_KEY", "short").output().unwrap();
    assert!(!out.status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

struct Server {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
    dir: PathBuf,
}

impl Server {
    /// Starts `podium serve` on a free port with JSON logs and waits until it listens.
    fn start(envs: &[(&str, &str)]) -> Self {
        Self::start_in(temp_dir(), envs)
    }

    /// [`Self::start`] in a given working directory.
    fn start_in(dir: PathBuf, envs: &[(&str, &str)]) -> Self {
        let mut child = podium(&dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .envs(envs.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut addr = None;
        while addr.is_none() {
            let line = rx.recv_timeout(Duration::from_secs(30)).expect("server did not start");
            let json: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|_| panic!("log line is not JSON: {line}"));
            if json["message"] == "listening" {
                addr = json["addr"].as_str().map(str::to_owned);
            }
        }
        Self { child, addr: addr.unwrap(), stderr: rx, dir }
    }

    fn request(&self, raw: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.write_all(raw.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the exit without removing the working directory (the next start uses it).
    fn wait_keeping(mut self) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let logs: Vec<String> = self.stderr.try_iter().collect();
                let _ = std::fs::remove_dir_all(&self.dir);
                return (status, logs);
            }
            assert!(std::time::Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

const KEY: &str = "pdm_process_test_key_0123456789";

#[test]
fn serve_uses_the_configured_bootstrap_key_and_never_logs_it() {
    let server = Server::start(&[("PODIUM_BOOTSTRAP_API_KEY", KEY)]);
    let response = server
        .request(&format!("GET /v1/accounts HTTP/1.1\r\nhost: x\r\nleadr-api-key: {KEY}\r\nconnection: close\r\n\r\n"));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"data\""));
    server.terminate();
    let (status, logs) = server.wait();
    assert!(status.success());
    for line in &logs {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not JSON: {line}");
        assert!(!line.contains(KEY), "secret in log line: {line}");
    }
    assert!(logs.iter().any(|l| l.contains("/v1/accounts")), "request not logged");
}

#[test]
fn serve_prints_a_generated_key_once_on_first_start() {
    let dir = temp_dir();
    let mut child = podium(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut key = None;
    let mut line = String::new();
    while key.is_none() && reader.read_line(&mut line).unwrap() > 0 {
        key = line.split_whitespace().find(|w| w.starts_with("pdm_")).map(str::to_owned);
        line.clear();
    }
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());
    assert!(key.is_some());
    // Second start: a superadmin exists, nothing is printed.
    let out = podium(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill").args(["-TERM", &out.id().to_string()]).status().unwrap();
    let out = out.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("pdm_"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_before_exiting() {
    let server = Server::start(&[("PODIUM_BOOTSTRAP_API_KEY", KEY)]);
    let body = r#"{"name": "Late Arrival"}"#;
    let (head, tail) = body.split_at(10);
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST /v1/accounts HTTP/1.1\r\nhost: x\r\nleadr-api-key: {KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let (status, logs) = server.wait();
    assert!(status.success(), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("shutting down")));
}

/// One HTTP/1.1 request on a fresh connection; `None` when the server is gone.
fn http(addr: &str, method: &str, path: &str, body: Option<&serde_json::Value>) -> Option<(u16, serde_json::Value)> {
    http_with(addr, method, path, &format!("leadr-api-key: {KEY}"), body)
}

/// [`http`] with a community member's token instead of the API key.
fn http_as(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&serde_json::Value>,
) -> Option<(u16, serde_json::Value)> {
    http_with(addr, method, path, &format!("authorization: Bearer {token}"), body)
}

fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    credentials: &str,
    body: Option<&serde_json::Value>,
) -> Option<(u16, serde_json::Value)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\n{credentials}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.get(9..12)?.parse().ok()?;
    let json = response.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()).unwrap_or_default();
    Some((status, json))
}

fn id_of(addr: &str, path: &str, body: serde_json::Value) -> String {
    let (status, json) = http(addr, "POST", path, Some(&body)).expect("server answers");
    assert_eq!(status, 201, "{json}");
    json["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_running_server_stamps_out_a_new_templates_current_board_within_seconds_on_its_own_clock() {
    let server = Server::start(&[("PODIUM_BOOTSTRAP_API_KEY", KEY)]);
    let addr = server.addr.clone();
    let account = id_of(&addr, "/v1/accounts", serde_json::json!({"name": "Seasons"}));
    let game = id_of(&addr, "/v1/games", serde_json::json!({"account_id": account, "name": "G"}));
    let body = serde_json::json!({"game_id": game, "name": "Hourly", "schedule": "0 * * * *"});
    let template = id_of(&addr, "/v1/board-templates", body);
    let path = format!("/v1/board-templates/{template}/current");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let board = loop {
        match http(&addr, "GET", &path, None) {
            Some((200, board)) => break board,
            Some((404, _)) if std::time::Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            other => panic!("no current board within 5 s: {other:?}"),
        }
    };
    assert_eq!(board["series"], 1);
    assert_eq!(board["is_active"], true);
    let ends: chrono::DateTime<chrono::Utc> = board["ends_at"].as_str().unwrap().parse().unwrap();
    let now = chrono::Utc::now();
    assert!(
        ends > now && ends <= now + chrono::Duration::hours(1),
        "the period in progress ends within the hour: {ends}"
    );
    server.terminate();
    assert!(server.wait().0.success());
}

/// How one request of a load ended.
enum Outcome {
    /// Answered with this status and body.
    Answered(u16, serde_json::Value),
    /// The connection could not be made: the request never reached the server.
    Unsent,
    /// Written, then the connection died before a whole answer: cut off in flight.
    CutOff,
}

/// [`http`] telling a request that never left from one cut off in flight.
fn post_tracked(addr: &str, path: &str, body: &serde_json::Value) -> Outcome {
    let Ok(mut stream) = TcpStream::connect(addr) else { return Outcome::Unsent };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nleadr-api-key: {KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return Outcome::CutOff;
    }
    let mut response = String::new();
    if stream.read_to_string(&mut response).is_err() {
        return Outcome::CutOff;
    }
    let Some(status) = response.get(9..12).and_then(|s| s.parse().ok()) else { return Outcome::CutOff };
    match response.split_once("\r\n\r\n").and_then(|(_, b)| serde_json::from_str(b).ok()) {
        Some(json) => Outcome::Answered(status, json),
        None => Outcome::CutOff,
    }
}

/// Every entry of a board, paged through: (entry id, value).
fn all_entries(addr: &str, account: &str, board: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let path = format!("/v1/scores?board_id={board}&account_id={account}&limit=100{cursor}");
        let (status, page) = http(addr, "GET", &path, None).expect("server answers");
        assert_eq!(status, 200, "{page}");
        for e in page["data"].as_array().unwrap() {
            out.push((e["id"].as_str().unwrap().to_owned(), e["value"].as_f64().unwrap()));
        }
        match page["pagination"]["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return out,
        }
    }
}

/// Submissions in flight from several threads; SIGKILL while some are cut off mid-request;
/// restart: every acknowledged entry is there with its value and a rank, and the board holds
/// exactly the acknowledged ones plus some of those cut off — nothing else, nothing lost.
fn acknowledged_submissions_survive_sigkill(database_url: &str) {
    let envs = [("PODIUM_BOOTSTRAP_API_KEY", KEY), ("PODIUM_DATABASE_URL", database_url)];
    let server = Server::start(&envs);
    let addr = server.addr.clone();
    let account = id_of(&addr, "/v1/accounts", serde_json::json!({"name": "Crash Test"}));
    let game =
        id_of(&addr, "/v1/games", serde_json::json!({"account_id": account, "name": "G", "anti_cheat_enabled": false}));
    let board =
        id_of(&addr, "/v1/boards", serde_json::json!({"game_id": game, "name": "Runs", "board_type": "RUN_RUNS"}));
    type Acked = std::sync::Arc<std::sync::Mutex<Vec<(String, f64)>>>;
    let acked: Acked = Default::default();
    let cut_off = std::sync::Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (addr, board, acked, cut_off, stop) =
                (addr.clone(), board.clone(), acked.clone(), cut_off.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Every value is unique, so each entry names the request it came from.
                    let value = f64::from(w) * 1_000_000.0 + f64::from(n);
                    let body = serde_json::json!({"board_id": board, "player_key": format!("w{w}"), "player_name": format!("W{w}"), "value": value});
                    match post_tracked(&addr, "/v1/score-events", &body) {
                        Outcome::Answered(201, json) => {
                            acked.lock().unwrap().push((json["score"]["id"].as_str().unwrap().to_owned(), value))
                        }
                        Outcome::Answered(status, json) => panic!("unexpected {status}: {json}"),
                        Outcome::CutOff => {
                            cut_off.lock().unwrap().push(value);
                            break;
                        }
                        Outcome::Unsent => break,
                    }
                    n += 1;
                }
            })
        })
        .collect();
    // Let submissions pile up, then kill without warning while they are in flight.
    while acked.lock().unwrap().len() < 200 {
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let (status, _) = server.wait();
    assert!(!status.success());
    let acked = acked.lock().unwrap().clone();
    let cut_off = cut_off.lock().unwrap().clone();
    assert!(!cut_off.is_empty(), "the kill cut no request off in flight; the test proved nothing");

    let restarted = Server::start(&envs);
    for (id, value) in &acked {
        let (status, json) = http(&restarted.addr, "GET", &format!("/v1/scores/{id}"), None).unwrap();
        assert_eq!(status, 200, "acknowledged {id} lost: {json}");
        assert_eq!(json["value"].as_f64(), Some(*value), "{json}");
        assert!(json["rank"].as_u64().is_some(), "{json}");
    }
    let entries = all_entries(&restarted.addr, &account, &board);
    let acked_values: std::collections::HashSet<u64> = acked.iter().map(|(_, v)| v.to_bits()).collect();
    let cut_values: std::collections::HashSet<u64> = cut_off.iter().map(|v| v.to_bits()).collect();
    let found: std::collections::HashSet<u64> = entries.iter().map(|(_, v)| v.to_bits()).collect();
    assert_eq!(found.len(), entries.len(), "an entry was stored twice");
    assert!(acked_values.is_subset(&found), "an acknowledged entry is missing from the board");
    let extra: Vec<&u64> = found.difference(&acked_values).collect();
    assert!(extra.iter().all(|v| cut_values.contains(v)), "entries that no request sent: {extra:?}");
    assert!(
        (acked.len()..=acked.len() + cut_off.len()).contains(&entries.len()),
        "{} entries for {} acknowledged and {} cut off",
        entries.len(),
        acked.len(),
        cut_off.len()
    );
    restarted.terminate();
    assert!(restarted.wait().0.success());
}

#[test]
fn acknowledged_submissions_survive_sigkill_on_sqlite() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("crash.db").display());
    acknowledged_submissions_survive_sigkill(&url);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_submissions_survive_sigkill_on_postgres() {
    let Some(db) = podium_testkit::TestDb::postgres().await else { return };
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || acknowledged_submissions_survive_sigkill(&url)).await.unwrap();
    drop(db);
}

/// A community member registered and logged in on a running server: (id, token).
fn community_member(addr: &str, name: &str) -> (String, String) {
    let body = serde_json::json!({"name": name, "email": format!("{name}@crash.test"), "password": "Secret123",
        "password_confirmation": "Secret123"});
    let id = id_of(addr, "/v1/community/register", body);
    let login = serde_json::json!({"name_or_email": name, "password": "Secret123"});
    let (status, json) = http(addr, "POST", "/v1/community/login", Some(&login)).unwrap();
    assert_eq!(status, 200, "{json}");
    (id, json["access_token"].as_str().unwrap().to_owned())
}

fn created_as(addr: &str, token: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, json) = http_as(addr, "POST", path, token, Some(&body)).expect("server answers");
    assert_eq!(status, 201, "{path}: {json}");
    json
}

/// `n` solo runs of `token`'s member in `category` (each faster than the last).
fn runs_of(addr: &str, token: &str, category: &str, metric: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let body = serde_json::json!({"category_id": category, "played_on": "2026-11-30",
                "participation": {"comment": "pb"}, "metrics": {metric: 1_000_000 - i}});
            created_as(addr, token, "/v1/community/runs", body)["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// Sends one request from another thread, kills the server without warning `after` later,
/// and restarts it.
fn kill_during(
    server: Server,
    envs: &[(&str, &str)],
    after: Duration,
    send: impl FnOnce(String) + Send + 'static,
) -> Server {
    let addr = server.addr.clone();
    let request = std::thread::spawn(move || send(addr));
    std::thread::sleep(after);
    Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    request.join().unwrap();
    let dir = server.dir.clone();
    assert!(!server.wait_keeping().success());
    Server::start_in(dir, envs)
}

/// A site ban, a category's deletion and an account's deletion each cascade over hundreds of
/// rows; the server is killed while each is in flight and restarted: each cascade is there
/// entirely or not at all.
#[test]
fn community_cascades_are_whole_or_absent_after_sigkill() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("cascade.db").display());
    let envs = [("PODIUM_BOOTSTRAP_API_KEY", KEY), ("PODIUM_DATABASE_URL", url.as_str())];
    let server = Server::start_in(dir, &envs);
    let addr = server.addr.clone();
    let (boss_id, boss) = community_member(&addr, "Boss");
    assert_eq!(
        http(&addr, "POST", "/v1/community/admins", Some(&serde_json::json!({"user_id": boss_id}))).unwrap().0,
        201
    );
    let (mo_id, mo) = community_member(&addr, "Mo");
    let (_, zed) = community_member(&addr, "Zed");
    let (vic_id, vic) = community_member(&addr, "Vic");
    let lb = created_as(&addr, &boss, "/v1/community/leaderboards", serde_json::json!({"name": "Crash"}))["id"].clone();
    created_as(&addr, &boss, "/v1/community/modships", serde_json::json!({"user_id": mo_id, "leaderboard_id": lb}));
    let category = |name: &str| {
        let c = created_as(
            &addr,
            &boss,
            "/v1/community/categories",
            serde_json::json!({"leaderboard_id": lb, "name": name, "metrics": [{"name": "Time", "kind": "time"}]}),
        );
        (c["id"].as_str().unwrap().to_owned(), c["metrics"][0]["id"].as_str().unwrap().to_owned())
    };
    let ((a, a_time), (b, b_time)) = (category("A"), category("B"));
    created_as(
        &addr,
        &boss,
        "/v1/community/variables",
        serde_json::json!({"leaderboard_id": lb, "name": "Route",
        "values": [{"name": "Left"}, {"name": "Right"}], "categories": [{"category_id": b}]}),
    );
    const N: usize = 300;
    let mo_runs = runs_of(&addr, &mo, &a, &a_time, N);
    let zed_runs = runs_of(&addr, &zed, &b, &b_time, N);
    let vic_runs = runs_of(&addr, &vic, &a, &a_time, N);
    let get = |addr: &str, path: &str| http(addr, "GET", path, None).unwrap();
    let mut outcomes = Vec::new();

    // 1. A site ban: the ban, every rejection and the modship's removal, or none of them.
    let body = serde_json::json!({"user_id": mo_id, "reason": "crash test"});
    let token = boss.clone();
    let server = kill_during(server, &envs, Duration::from_millis(15), move |addr| {
        let _ = http_as(&addr, "POST", "/v1/community/bans", &token, Some(&body));
    });
    let addr = server.addr.clone();
    let banned = !get(&addr, &format!("/v1/community/bans?user_id={mo_id}")).1["data"].as_array().unwrap().is_empty();
    let rejected =
        mo_runs.iter().filter(|r| get(&addr, &format!("/v1/community/runs/{r}")).1["status"] == "rejected").count();
    let moderates = get(&addr, &format!("/v1/community/users/{mo_id}/moderates")).1.as_array().unwrap().len();
    assert_eq!((rejected, moderates), if banned { (N, 0) } else { (0, 1) }, "ban committed: {banned}");
    outcomes.push(("site ban", banned));

    // 2. Deleting a category: it, its runs and the variable assigned to it alone, or none.
    let token = boss.clone();
    let path = format!("/v1/community/categories/{b}");
    let server = kill_during(server, &envs, Duration::from_millis(15), move |addr| {
        let _ = http_as(&addr, "DELETE", &path, &token, None);
    });
    let addr = server.addr.clone();
    let deleted = get(&addr, &format!("/v1/community/categories/{b}")).0 == 404;
    let left = zed_runs.iter().filter(|r| get(&addr, &format!("/v1/community/runs/{r}")).0 == 200).count();
    let variables = get(&addr, &format!("/v1/community/categories/{b}/variables"));
    assert_eq!(left, if deleted { 0 } else { N }, "category deletion committed: {deleted}");
    assert!(deleted || variables.1.as_array().is_some_and(|v| v.len() == 1), "{variables:?}");
    outcomes.push(("category deletion", deleted));

    // 3. Deleting an account: it and every participation of it, or none.
    let server = kill_during(server, &envs, Duration::from_millis(15), move |addr| {
        let _ = http_as(&addr, "DELETE", "/v1/community/me", &vic, None);
    });
    let addr = server.addr.clone();
    let gone = get(&addr, &format!("/v1/community/users/{vic_id}")).0 == 404;
    let kept = vic_runs
        .iter()
        .filter(|r| !get(&addr, &format!("/v1/community/runs/{r}/participations")).1.as_array().unwrap().is_empty())
        .count();
    assert_eq!(kept, if gone { 0 } else { N }, "account deletion committed: {gone}");
    outcomes.push(("account deletion", gone));
    eprintln!("committed before the kill: {outcomes:?}");
    let dir = server.dir.clone();
    server.terminate();
    assert!(server.wait_keeping().success());
    let _ = std::fs::remove_dir_all(dir);
}

/// Activity batches in flight from several threads; SIGKILL; restart. Every event earns a
/// distinct user exactly one point, so after the restart: every acknowledged batch was stored
/// (sent again, its events are all `duplicate`), a batch cut off by the kill was stored whole
/// or not at all, and once every batch has been sent again each event counts exactly once.
fn acknowledged_activity_batches_survive_sigkill(database_url: &str) {
    let envs = [("PODIUM_BOOTSTRAP_API_KEY", KEY), ("PODIUM_DATABASE_URL", database_url)];
    let server = Server::start(&envs);
    let addr = server.addr.clone();
    let account = id_of(&addr, "/v1/accounts", serde_json::json!({"name": "Crash Test"}));
    let game = id_of(&addr, "/v1/games", serde_json::json!({"account_id": account, "name": "Social"}));
    let game_id = game.clone();
    let batch = move |w: usize, b: usize| {
        let events: Vec<serde_json::Value> = (0..10)
            .map(|k| serde_json::json!({"event_id": format!("w{w}b{b}e{k}"), "type": "room_message", "user": format!("w{w}b{b}u{k}"), "room": "lobby"}))
            .collect();
        serde_json::json!({"game_id": game_id, "events": events})
    };
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(usize, usize)>::new()));
    let cut = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(usize, usize)>::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (addr, acked, cut, stop, batch) =
                (addr.clone(), acked.clone(), cut.clone(), stop.clone(), batch.clone());
            std::thread::spawn(move || {
                let mut b = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    match http(&addr, "POST", "/v1/activity/events", Some(&batch(w, b))) {
                        Some((200, json)) => {
                            assert!(
                                json["results"].as_array().unwrap().iter().all(|r| r["outcome"] == "counted"),
                                "{json}"
                            );
                            acked.lock().unwrap().push((w, b));
                        }
                        Some((status, json)) => panic!("unexpected {status}: {json}"),
                        None => {
                            cut.lock().unwrap().push((w, b));
                            break;
                        }
                    }
                    b += 1;
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 100 {
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill").args(["-KILL", &server.child.id().to_string()]).status().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let (status, _) = server.wait();
    assert!(!status.success());
    let (acked, cut) = (acked.lock().unwrap().clone(), cut.lock().unwrap().clone());
    assert!(!cut.is_empty(), "the kill cut no request off");

    let restarted = Server::start(&envs);
    let outcomes = |w: usize, b: usize| -> Vec<String> {
        let (status, json) = http(&restarted.addr, "POST", "/v1/activity/events", Some(&batch(w, b))).unwrap();
        assert_eq!(status, 200, "{json}");
        json["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap().to_owned()).collect()
    };
    for (w, b) in &acked {
        assert!(outcomes(*w, *b).iter().all(|o| o == "duplicate"), "acknowledged batch w{w}b{b} was lost");
    }
    for (w, b) in &cut {
        let o = outcomes(*w, *b);
        assert!(
            o.iter().all(|x| x == "duplicate") || o.iter().all(|x| x == "counted"),
            "batch w{w}b{b} half stored: {o:?}"
        );
    }
    // Every event sent is now stored once: one point to each of its distinct users.
    let expected = (acked.len() + cut.len()) * 10;
    let (mut users, mut points, mut cursor) = (0, 0, String::new());
    loop {
        let path = format!("/v1/activity/leaderboard?game_id={game}&period=all_time&limit=100{cursor}");
        let (status, page) = http(&restarted.addr, "GET", &path, None).unwrap();
        assert_eq!(status, 200, "{page}");
        for row in page["data"].as_array().unwrap() {
            users += 1;
            points += row["points"].as_i64().unwrap();
        }
        match page["pagination"]["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!((users, points), (expected, expected as i64));
    restarted.terminate();
    assert!(restarted.wait().0.success());
}

#[test]
fn acknowledged_activity_batches_survive_sigkill_on_sqlite() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.join("crash.db").display());
    acknowledged_activity_batches_survive_sigkill(&url);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_activity_batches_survive_sigkill_on_postgres() {
    let Some(db) = podium_testkit::TestDb::postgres().await else { return };
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || acknowledged_activity_batches_survive_sigkill(&url)).await.unwrap();
    drop(db);
}

#[test]
fn a_second_node_on_the_same_sqlite_file_is_refused_at_start_up_and_one_after_a_sigkill_is_not() {
    let first = Server::start(&[("PODIUM_BOOTSTRAP_API_KEY", KEY)]);
    let mut second = podium(&first.dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            second.kill().unwrap();
            panic!("a second node on the same SQLite file was not refused");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    second.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("another podium node is already serving"), "{stderr}");
    assert!(stderr.contains("SQLite is one node"), "{stderr}");
    // The first node was not disturbed.
    let response = first
        .request(&format!("GET /v1/accounts HTTP/1.1\r\nhost: x\r\nleadr-api-key: {KEY}\r\nconnection: close\r\n\r\n"));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    // The lock goes with the process, however it ends: a node killed outright leaves nothing
    // that would refuse the next one.
    Command::new("kill").args(["-KILL", &first.child.id().to_string()]).status().unwrap();
    let dir = first.dir.clone();
    first.wait_keeping();
    let again = Server::start_in(dir, &[("PODIUM_BOOTSTRAP_API_KEY", KEY)]);
    again.terminate();
    assert!(again.wait().0.success());
}

/// Two nodes on one PostgreSQL database; node A is killed with SIGKILL while eight clients
/// submit through it. Node B, never restarted, ranks every submission A acknowledged, and ranks
/// exactly what the database holds (the moves of a batch are logged in its own transaction, so
/// a batch committed but cut off before its answer reaches B as well).
fn a_killed_node_leaves_what_it_acknowledged_ranked_on_the_survivor(
    database_url: &str,
    redis: Option<podium_testkit::redis::TestRedis>,
) {
    let mut envs = vec![("PODIUM_BOOTSTRAP_API_KEY", KEY), ("PODIUM_DATABASE_URL", database_url)];
    if let Some(redis) = &redis {
        envs.extend([("PODIUM_REDIS_URL", redis.url.as_str()), ("PODIUM_REDIS_PREFIX", redis.prefix.as_str())]);
    }
    let envs = envs.as_slice();
    let a = Server::start(envs);
    let b = Server::start(envs);
    let account = id_of(&a.addr, "/v1/accounts", serde_json::json!({"name": "Crash Test"}));
    let game = id_of(
        &a.addr,
        "/v1/games",
        serde_json::json!({"account_id": account, "name": "G", "anti_cheat_enabled": false}),
    );
    let board =
        id_of(&a.addr, "/v1/boards", serde_json::json!({"game_id": game, "name": "Runs", "board_type": "RUN_RUNS"}));
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, i64)>::new()));
    let cut = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8i64)
        .map(|w| {
            let (addr, board, acked, cut, stop) = (a.addr.clone(), board.clone(), acked.clone(), cut.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Distinct values: the lowest entry's rank is the number of ranked entries.
                    let value = w * 1_000_000 + n;
                    let body = serde_json::json!({"board_id": board, "player_key": format!("w{w}"), "player_name": format!("W{w}"), "value": value});
                    match http(&addr, "POST", "/v1/score-events", Some(&body)) {
                        Some((201, json)) => {
                            acked.lock().unwrap().push((json["score"]["id"].as_str().unwrap().to_owned(), value))
                        }
                        Some((status, json)) => panic!("unexpected {status}: {json}"),
                        None => {
                            cut.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            break;
                        }
                    }
                    n += 1;
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 200 {
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill").args(["-KILL", &a.child.id().to_string()]).status().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (status, _) = a.wait();
    assert!(!status.success());
    assert!(
        cut.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "no request failed when the node was killed (it was not killed under load)"
    );
    let acked = acked.lock().unwrap().clone();
    let (lowest, _) = acked.iter().min_by_key(|(_, v)| *v).unwrap().clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(1);
    let mut missing: Vec<&String> = acked.iter().map(|(id, _)| id).collect();
    while !missing.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} acknowledged entries not ranked on the survivor",
            missing.len()
        );
        missing.retain(|id| {
            let (status, json) = http(&b.addr, "GET", &format!("/v1/scores/{id}"), None).unwrap();
            status != 200 || json["rank"].as_u64().is_none()
        });
    }
    for (id, value) in &acked {
        let (_, json) = http(&b.addr, "GET", &format!("/v1/scores/{id}"), None).unwrap();
        assert_eq!(json["value"].as_f64(), Some(*value as f64), "{json}");
    }
    // The survivor ranks exactly what the database holds: a node started now (loading from
    // the database) counts the same entries.
    let count_on = |addr: &str| {
        let (_, json) = http(addr, "GET", &format!("/v1/scores/{lowest}"), None).unwrap();
        json["rank"].as_u64().unwrap()
    };
    let fresh = Server::start(envs);
    assert_eq!(count_on(&b.addr), count_on(&fresh.addr));
    assert!(count_on(&b.addr) >= acked.len() as u64);
    for node in [b, fresh] {
        node.terminate();
        node.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_leaves_what_it_acknowledged_ranked_on_the_survivor_on_postgres() {
    let Some(db) = podium_testkit::TestDb::postgres().await else { return };
    let url = db.url().to_owned();
    // Woken through Redis in the suite's Redis pass (`PODIUM_TEST_SIGNAL=redis`).
    let redis = match std::env::var("PODIUM_TEST_SIGNAL").as_deref() {
        Ok("redis") => podium_testkit::redis::TestRedis::get(),
        _ => None,
    };
    tokio::task::spawn_blocking(move || a_killed_node_leaves_what_it_acknowledged_ranked_on_the_survivor(&url, redis))
        .await
        .unwrap();
    drop(db);
}

#[test]
fn a_redis_url_with_an_sqlite_database_is_refused_at_start_up() {
    let dir = temp_dir();
    let out = podium(&dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("PODIUM_REDIS_URL", "redis://127.0.0.1:6379")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("the database is SQLite, which is one node"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

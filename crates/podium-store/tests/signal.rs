//! Redis as the signal between nodes (`RedisSignal`): a ring wakes every other node's doorbell
//! and not the ringer's own, deployments with different prefixes do not hear each other, and an
//! unreachable server is reported rather than fatal. Skipped, with the reason printed, without
//! `PODIUM_TEST_REDIS_URL`; CI runs them.

use std::time::Duration;

use podium_core::shared::Signal;
use podium_store::RedisSignal;
use podium_testkit::redis::TestRedis;

const SOON: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_ring_wakes_every_other_node_and_not_the_one_that_rang() {
    let Some(redis) = TestRedis::get() else { return };
    let a = RedisSignal::connect(&redis.url, &redis.prefix).await.unwrap();
    let b = RedisSignal::connect(&redis.url, &redis.prefix).await.unwrap();
    let mut a_bell = a.listen("node-a").await.unwrap();
    let mut b_bell = b.listen("node-b").await.unwrap();
    assert_eq!(a.degraded(), None);
    a.ring("node-a");
    tokio::time::timeout(SOON, b_bell.rung()).await.expect("B is woken").unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), a_bell.rung()).await.is_err(),
        "A is not woken by its own ring"
    );
    b.ring("node-b");
    tokio::time::timeout(SOON, a_bell.rung()).await.expect("A is woken by B").unwrap();
}

#[tokio::test]
async fn deployments_with_different_prefixes_do_not_wake_each_other() {
    let Some(redis) = TestRedis::get() else { return };
    let ours = RedisSignal::connect(&redis.url, &redis.prefix).await.unwrap();
    let theirs = RedisSignal::connect(&redis.url, &format!("{}other:", redis.prefix)).await.unwrap();
    let mut their_bell = theirs.listen("theirs").await.unwrap();
    let mut our_bell = ours.listen("ours-1").await.unwrap();
    ours.ring("ours-2");
    tokio::time::timeout(SOON, our_bell.rung()).await.expect("our node is woken").unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(300), their_bell.rung()).await.is_err());
}

#[tokio::test]
async fn rings_close_together_wake_a_follower_once_or_a_few_times_not_once_each() {
    let Some(redis) = TestRedis::get() else { return };
    let a = RedisSignal::connect(&redis.url, &redis.prefix).await.unwrap();
    let mut bell = a.listen("follower").await.unwrap();
    for _ in 0..200 {
        a.ring("writer");
    }
    tokio::time::timeout(SOON, bell.rung()).await.expect("woken").unwrap();
    let mut more = 0;
    while tokio::time::timeout(Duration::from_millis(200), bell.rung()).await.is_ok() {
        more += 1;
    }
    assert!(more < 20, "200 rings woke the follower {} times", more + 1);
}

#[tokio::test]
async fn an_unreachable_redis_is_reported_and_does_not_stop_a_node_starting() {
    // A port nothing listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let signal = RedisSignal::connect(&format!("redis://{free}"), "podium:").await.unwrap();
    let why = signal.degraded().expect("reported degraded");
    assert!(why.contains("unreachable") && why.contains(&free.to_string()), "{why}");
    assert!(signal.listen("me").await.is_err());
    signal.ring("me"); // dropped quietly: the poll finds the change
}

#[tokio::test]
async fn a_malformed_redis_url_is_refused() {
    let refused = RedisSignal::connect("http://example.com", "podium:").await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn a_password_never_appears_in_what_is_reported() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let signal = RedisSignal::connect(&format!("redis://:hunter2secret@{free}"), "podium:").await.unwrap();
    let why = signal.degraded().unwrap();
    assert!(!why.contains("hunter2secret") && why.contains("***"), "{why}");
}

//! Hand-made histories the checker must accept, and ones it must reject with the right
//! anomaly.

use std::time::Duration;

use crate::{
    AnomalyKind, ByteString, CheckOptions, History, KeyVerdict, Op, OpKind, OpResult, Outcome,
    Report, check,
};

const MS: u64 = 1_000_000;

/// Builds a history on key "k" with instants in milliseconds.
#[derive(Default)]
struct Script {
    history: History,
}

fn put(value: &str) -> OpKind {
    OpKind::Put {
        value: value.into(),
        ttl_ms: 0,
        if_version: None,
    }
}

fn put_ttl(value: &str, ttl_ms: u64) -> OpKind {
    OpKind::Put {
        value: value.into(),
        ttl_ms,
        if_version: None,
    }
}

fn put_if(value: &str, if_version: u64) -> OpKind {
    OpKind::Put {
        value: value.into(),
        ttl_ms: 0,
        if_version: Some(if_version),
    }
}

fn delete(if_version: Option<u64>) -> OpKind {
    OpKind::Delete { if_version }
}

fn written(version: u64) -> OpResult {
    OpResult::Put { version }
}

fn mismatch(current: u64) -> OpResult {
    OpResult::VersionMismatch { current }
}

impl Script {
    fn push(
        &mut self,
        client: u64,
        kind: OpKind,
        invoke_ms: u64,
        complete_ms: Option<u64>,
        outcome: Outcome,
        final_read: bool,
    ) -> &mut Self {
        let id = self.history.len() as u64;
        self.history.push(Op {
            id,
            client,
            key: "k".into(),
            kind,
            invoke_ns: invoke_ms * MS,
            complete_ns: complete_ms.map(|ms| ms * MS),
            outcome,
            final_read,
        });
        self
    }

    fn ok(
        &mut self,
        client: u64,
        kind: OpKind,
        invoke_ms: u64,
        complete_ms: u64,
        result: OpResult,
    ) -> &mut Self {
        self.push(
            client,
            kind,
            invoke_ms,
            Some(complete_ms),
            Outcome::Ok(result),
            false,
        )
    }

    fn get(
        &mut self,
        client: u64,
        invoke_ms: u64,
        complete_ms: u64,
        result: OpResult,
    ) -> &mut Self {
        self.ok(client, OpKind::Get, invoke_ms, complete_ms, result)
    }

    fn final_get(
        &mut self,
        client: u64,
        invoke_ms: u64,
        complete_ms: u64,
        result: OpResult,
    ) -> &mut Self {
        self.push(
            client,
            OpKind::Get,
            invoke_ms,
            Some(complete_ms),
            Outcome::Ok(result),
            true,
        )
    }

    fn indeterminate(&mut self, client: u64, kind: OpKind, invoke_ms: u64) -> &mut Self {
        self.push(client, kind, invoke_ms, None, Outcome::Indeterminate, false)
    }

    fn failed(&mut self, client: u64, kind: OpKind, invoke_ms: u64, complete_ms: u64) -> &mut Self {
        let outcome = Outcome::Fail {
            reason: "not leader".to_owned(),
        };
        self.push(client, kind, invoke_ms, Some(complete_ms), outcome, false)
    }

    fn check(&self) -> Report {
        check(&self.history, &CheckOptions::default())
    }

    fn assert_accepted(&self) {
        let report = self.check();
        assert!(report.is_valid(), "expected a valid history:\n{report}");
    }

    fn assert_rejected(&self, kind: AnomalyKind) -> Report {
        let report = self.check();
        assert!(!report.is_valid(), "expected {kind}, got a valid history");
        assert!(report.has_anomaly(kind), "expected {kind}, got:\n{report}");
        report
    }
}

#[test]
fn accepts_concurrent_puts_in_either_order() {
    Script::default()
        .ok(1, put("a"), 0, 10, written(10))
        .ok(2, put("b"), 0, 10, written(12))
        .get(3, 20, 30, OpResult::found("b", 12))
        .assert_accepted();
    // The other order: b (version 10) before a (version 12).
    Script::default()
        .ok(1, put("a"), 0, 10, written(12))
        .ok(2, put("b"), 0, 10, written(10))
        .get(3, 5, 8, OpResult::found("b", 10))
        .get(3, 20, 30, OpResult::found("a", 12))
        .assert_accepted();
}

#[test]
fn accepts_a_compare_and_set_chain() {
    Script::default()
        .ok(1, put_if("a", 0), 0, 10, written(3))
        .ok(2, put_if("b", 3), 20, 30, written(7))
        .ok(3, put_if("c", 3), 40, 50, mismatch(7))
        .ok(1, put_if("x", 0), 41, 49, mismatch(7))
        .ok(
            2,
            delete(Some(7)),
            60,
            70,
            OpResult::Delete { deleted: true },
        )
        .ok(
            3,
            delete(Some(0)),
            80,
            90,
            OpResult::Delete { deleted: false },
        )
        .ok(1, put_if("d", 0), 100, 110, written(20))
        .get(2, 120, 130, OpResult::found("d", 20))
        .assert_accepted();
}

#[test]
fn accepts_an_indeterminate_put_that_took_effect() {
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .indeterminate(2, put("b"), 20)
        .get(3, 30, 40, OpResult::found("b", 9))
        .ok(1, put("c"), 50, 60, written(11))
        .get(3, 70, 80, OpResult::found("c", 11))
        .assert_accepted();
}

#[test]
fn accepts_an_indeterminate_put_that_never_took_effect() {
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .indeterminate(2, put("b"), 20)
        .indeterminate(2, delete(None), 25)
        .get(3, 100, 110, OpResult::found("a", 5))
        .get(3, 120, 130, OpResult::found("a", 5))
        .failed(1, put("c"), 140, 150)
        .get(3, 160, 170, OpResult::found("a", 5))
        .assert_accepted();
}

#[test]
fn accepts_a_key_that_expired() {
    Script::default()
        .ok(1, put_ttl("a", 1_000), 0, 1, written(5))
        .get(2, 10, 11, OpResult::found("a", 5))
        .get(2, 2_000, 2_001, OpResult::not_found())
        .ok(3, put_if("b", 5), 2_100, 2_101, mismatch(0))
        .ok(3, put_if("b", 0), 2_200, 2_201, written(9))
        .get(2, 2_300, 2_301, OpResult::found("b", 9))
        .assert_accepted();
}

#[test]
fn accepts_deletes_and_touches() {
    Script::default()
        .ok(1, put_ttl("a", 1_000), 0, 1, written(5))
        .ok(
            2,
            OpKind::Touch { ttl_ms: 0 },
            2,
            3,
            OpResult::Touch { found: true },
        )
        // The touch removed the TTL: still readable long after the original expiry.
        .get(3, 10_000, 10_001, OpResult::found("a", 5))
        .ok(
            1,
            delete(None),
            10_010,
            10_011,
            OpResult::Delete { deleted: true },
        )
        .get(3, 10_020, 10_021, OpResult::not_found())
        .ok(
            2,
            OpKind::Touch { ttl_ms: 50 },
            10_030,
            10_031,
            OpResult::Touch { found: false },
        )
        .ok(
            1,
            delete(None),
            10_040,
            10_041,
            OpResult::Delete { deleted: false },
        )
        .ok(1, put("b"), 10_050, 10_051, written(6))
        .final_get(3, 10_060, 10_061, OpResult::found("b", 6))
        .assert_accepted();
}

#[test]
fn accepts_operations_with_unknown_outcomes_that_explain_what_followed() {
    // A TTL'd put of unknown outcome is the only way the key could have vanished.
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .indeterminate(2, put_ttl("x", 1_000), 20)
        .get(3, 30, 40, OpResult::not_found())
        .assert_accepted();
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .get(3, 30, 40, OpResult::not_found())
        .assert_rejected(AnomalyKind::NotLinearizable);
    // Two of them in a row: a delete, then a put-if-absent.
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .indeterminate(2, delete(None), 20)
        .indeterminate(3, put_if("b", 0), 21)
        .get(4, 30, 40, OpResult::found("b", 9))
        .assert_accepted();
    // A version mismatch is the first to observe an unknown put's version.
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .indeterminate(2, put("b"), 20)
        .ok(3, put_if("c", 5), 30, 40, mismatch(8))
        .get(4, 50, 60, OpResult::found("b", 8))
        .assert_accepted();
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .indeterminate(2, put("b"), 20)
        .ok(3, put_if("c", 5), 30, 40, mismatch(8))
        .get(4, 50, 60, OpResult::found("b", 9))
        .assert_rejected(AnomalyKind::NotLinearizable);
}

#[test]
fn accepts_a_read_concurrent_with_a_write_seeing_either_value() {
    for seen in [OpResult::found("a", 5), OpResult::found("b", 8)] {
        Script::default()
            .ok(1, put("a"), 0, 10, written(5))
            .ok(2, put("b"), 20, 40, written(8))
            .get(3, 25, 35, seen)
            .assert_accepted();
    }
}

#[test]
fn rejects_a_stale_read() {
    let report = Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .ok(2, put("b"), 20, 30, written(9))
        .get(3, 40, 50, OpResult::found("a", 5))
        .assert_rejected(AnomalyKind::StaleRead);
    let anomaly = &report.anomalies[0];
    assert_eq!(anomaly.operations[0].id, 2);
    assert!(anomaly.explanation.contains("version 9"), "{anomaly}");
}

#[test]
fn rejects_a_lost_write() {
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .final_get(2, 20, 30, OpResult::not_found())
        .assert_rejected(AnomalyKind::LostWrite);
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .ok(1, put("b"), 11, 20, written(8))
        .final_get(2, 30, 40, OpResult::found("a", 5))
        .assert_rejected(AnomalyKind::LostWrite);
}

#[test]
fn rejects_a_read_of_a_value_never_written() {
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .get(2, 20, 30, OpResult::found("zzz", 5))
        .assert_rejected(AnomalyKind::UnwrittenValue);
    let report = Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .failed(1, put("q"), 11, 12)
        .get(2, 20, 30, OpResult::found("q", 77))
        .assert_rejected(AnomalyKind::UnwrittenValue);
    assert!(
        report.anomalies[0]
            .explanation
            .contains("failed definitely")
    );
}

#[test]
fn rejects_a_compare_and_set_against_the_wrong_version() {
    let report = Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .ok(2, put_if("b", 3), 20, 30, written(7))
        .assert_rejected(AnomalyKind::CompareAndSetViolation);
    let explanation = &report.anomalies[0].explanation;
    assert!(explanation.contains("if_version=3"), "{explanation}");
    assert!(explanation.contains("leave version 5"), "{explanation}");
}

#[test]
fn rejects_versions_going_backwards() {
    Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .ok(2, put("b"), 5, 100, written(9))
        .get(3, 40, 50, OpResult::found("b", 9))
        .get(4, 60, 70, OpResult::found("a", 5))
        .assert_rejected(AnomalyKind::VersionWentBackwards);
}

#[test]
fn rejects_a_read_after_expiry_plus_the_bound() {
    let script = |read_at_ms| {
        let mut script = Script::default();
        script.ok(1, put_ttl("a", 1_000), 0, 1, written(5)).get(
            2,
            read_at_ms,
            read_at_ms + 1,
            OpResult::found("a", 5),
        );
        script
    };
    // Within the one-second bound after the deadline (1 ms + 1000 ms): accepted.
    script(1_900).assert_accepted();
    let report = script(2_100).assert_rejected(AnomalyKind::ReadAfterExpiry);
    assert!(report.anomalies[0].explanation.contains("expiry bound"));
    let strict = CheckOptions {
        expiry_bound: Duration::from_millis(100),
        ..CheckOptions::default()
    };
    assert!(check(&script(1_200).history, &strict).has_anomaly(AnomalyKind::ReadAfterExpiry));
}

#[test]
fn a_touch_with_an_unknown_outcome_may_have_extended_the_ttl() {
    Script::default()
        .ok(1, put_ttl("a", 1_000), 0, 1, written(5))
        .indeterminate(3, OpKind::Touch { ttl_ms: 60_000 }, 500)
        .get(2, 5_000, 5_001, OpResult::found("a", 5))
        .assert_accepted();
}

#[test]
fn explains_which_operation_cannot_be_placed_and_why() {
    // The read returns a version whose put began only after the read completed.
    let report = Script::default()
        .ok(1, put("a"), 0, 10, written(12))
        .get(3, 12, 15, OpResult::found("b", 17))
        .ok(1, put("b"), 20, 30, written(17))
        .assert_rejected(AnomalyKind::NotLinearizable);
    let text = report.to_string();
    assert!(text.contains("op 1 (client 3, get)"), "{text}");
    assert!(text.contains("holds version 12"), "{text}");
    assert_eq!(report.keys_with(KeyVerdict::Violated).count(), 1, "{text}");
}

#[test]
fn reports_malformed_operations() {
    Script::default()
        .ok(1, OpKind::Get, 0, 10, written(3))
        .assert_rejected(AnomalyKind::MalformedOperation);
    Script::default()
        .ok(1, put_if("a", 4), 0, 10, mismatch(4))
        .assert_rejected(AnomalyKind::MalformedOperation);
}

#[test]
fn reports_inconclusive_instead_of_searching_forever() {
    let mut script = Script::default();
    for version in 1..=20 {
        script.ok(version, put("v"), 0, 100, written(version));
    }
    let options = CheckOptions {
        max_search_steps_per_key: 5,
        ..CheckOptions::default()
    };
    let report = check(&script.history, &options);
    assert_eq!(report.per_key[0].verdict, KeyVerdict::Inconclusive);
    assert!(!report.is_valid());
    assert!(report.to_string().contains("inconclusive"));
}

#[test]
fn keys_are_checked_independently() {
    let mut history = Script::default()
        .ok(1, put("a"), 0, 10, written(5))
        .history
        .clone();
    history.push(Op {
        id: 99,
        client: 2,
        key: ByteString(vec![0xff, 0x00]),
        kind: OpKind::Get,
        invoke_ns: 20 * MS,
        complete_ns: Some(30 * MS),
        outcome: Outcome::Ok(OpResult::found("a", 5)),
        final_read: false,
    });
    let report = check(&history, &CheckOptions::default());
    assert_eq!(report.keys, 2);
    assert_eq!(report.keys_with(KeyVerdict::Linearizable).count(), 1);
    assert!(report.has_anomaly(AnomalyKind::UnwrittenValue));
    assert!(report.to_string().contains("0xff00"), "{report}");
}

#[test]
fn histories_round_trip_through_json() {
    let mut history = Script::default()
        .ok(1, put_if("a", 0), 0, 10, written(5))
        .indeterminate(2, put_ttl("b", 30), 12)
        .final_get(3, 20, 30, OpResult::found("a", 5))
        .history
        .clone();
    history.ops[0].key = ByteString(vec![0xc3, 0x28]);
    let json = history.to_json();
    assert!(json.contains(r#""hex": "c328""#), "{json}");
    assert!(json.contains(r#""key": "k""#), "{json}");
    assert_eq!(History::from_json(&json).unwrap(), history);
    assert!(History::from_json(r#"{"ops": [{"key": {"hex": "zz"}}]}"#).is_err());
}

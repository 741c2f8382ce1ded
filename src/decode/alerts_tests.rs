//! Alert lines in the shapes Suricata's EVE documentation and Snort 3's
//! `alert_json` show; times checked against Python's `datetime`.

use super::*;

/// The alerts of `text`, their texts owned.
fn read(text: &str) -> (Vec<Alert<'static>>, AlertsRead) {
    let mut alerts = Vec::new();
    let owned = |a: Alert<'_>| Alert {
        signature: a.signature.into_owned().into(),
        category: a.category.into_owned().into(),
        ..a
    };
    let read = read_alerts(text.as_bytes(), "eve.json", |a| alerts.push(owned(a))).expect("reading");
    (alerts, read)
}

fn addr(text: &str) -> Addr {
    Addr::from(text.parse::<IpAddr>().expect("an address"))
}

const EVE_ALERT: &str = r#"{"timestamp":"2017-04-07T22:24:37.251547+0100","flow_id":586497171462735,"pcap_cnt":53381,"event_type":"alert","src_ip":"192.168.2.14","src_port":50096,"dest_ip":"209.53.113.5","dest_port":80,"proto":"TCP","metadata":{"flowbits":["http.dottedquadhost"]},"tx_id":4,"alert":{"action":"allowed","gid":1,"signature_id":2018358,"rev":10,"signature":"ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1","category":"Potentially Bad Traffic","severity":2},"app_proto":"http"}"#;

#[test]
fn every_field_of_an_eve_alert_is_read() {
    let (alerts, read) = read(EVE_ALERT);
    assert_eq!(read.alerts, 1);
    assert_eq!(
        alerts,
        [Alert {
            ts: Timestamp(1_491_600_277_251_547_000),
            src: addr("192.168.2.14"),
            dst: addr("209.53.113.5"),
            proto: IpProto::TCP,
            dst_port: Some(80),
            gid: 1,
            sid: 2_018_358,
            rev: 10,
            signature: "ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1".into(),
            category: "Potentially Bad Traffic".into(),
            severity: 2,
        }]
    );
}

#[test]
fn other_event_types_are_skipped_and_counted_by_type() {
    let text = [
        r#"{"timestamp":"2024-01-02T03:04:05Z","event_type":"flow","src_ip":"1.2.3.4","dest_ip":"5.6.7.8","proto":"TCP"}"#,
        r#"{"timestamp":"2024-01-02T03:04:05Z","event_type":"stats","stats":{"uptime":10}}"#,
        r#"{"timestamp":"2024-01-02T03:04:05Z","event_type":"flow"}"#,
        EVE_ALERT,
    ]
    .join("\n");
    let (alerts, read) = read(&text);
    assert_eq!(alerts.len(), 1);
    assert_eq!(read.skipped, BTreeMap::from([("flow".to_string(), 2), ("stats".to_string(), 1)]));
    assert_eq!((read.lines, read.malformed), (4, 0));
}

#[test]
fn icmp_ipv6_and_zones_are_read() {
    let text = r#"{"timestamp":"2023-12-31T23:59:59.999999999-05:30","event_type":"alert","src_ip":"2001:db8::1","dest_ip":"2001:db8:1::7","proto":"IPv6-ICMP","icmp_type":128,"alert":{"signature_id":2100366,"signature":"GPL ICMP_INFO PING *NIX","category":"Misc activity","severity":3}}"#;
    let (alerts, _) = read(text);
    let a = &alerts[0];
    assert_eq!(a.ts, Timestamp(1_704_086_999_999_999_999));
    assert_eq!((a.proto, a.dst_port, a.gid, a.rev), (IpProto(58), None, 1, 0));
    assert_eq!((a.src, a.dst), (addr("2001:db8::1"), addr("2001:db8:1::7")));
}

#[test]
fn snort_alert_json_in_both_field_sets() {
    let joined = r#"{ "timestamp" : "24/01/02-13:59:31.123456", "pkt_num" : 7, "proto" : "TCP", "pkt_gen" : "raw", "pkt_len" : 40, "dir" : "C2S", "src_ap" : "203.0.113.9:40000", "dst_ap" : "198.18.0.5:23", "rule" : "1:1000001:3", "action" : "allow", "msg" : "INDICATOR-SCAN telnet probe", "class" : "Attempted Information Leak", "priority" : 2 }"#;
    let split = r#"{"seconds":1704203971,"proto":"UDP","src_addr":"203.0.113.9","dst_addr":"198.18.0.6","dst_port":161,"gid":1,"sid":1417,"rev":18,"msg":"PROTOCOL-SNMP request udp"}"#;
    let (alerts, read) = read(&format!("{joined}\n{split}\n"));
    assert_eq!((read.alerts, read.malformed), (2, 0), "{:?}", read.warnings);
    assert_eq!(alerts[0].ts, Timestamp(1_704_203_971_123_456_000));
    assert_eq!((alerts[0].src, alerts[0].dst, alerts[0].dst_port), (addr("203.0.113.9"), addr("198.18.0.5"), Some(23)));
    assert_eq!((alerts[0].gid, alerts[0].sid, alerts[0].rev, alerts[0].severity), (1, 1_000_001, 3, 2));
    assert_eq!(alerts[0].category, "Attempted Information Leak");
    assert_eq!(alerts[1].ts, Timestamp(1_704_203_971_000_000_000));
    assert_eq!((alerts[1].proto, alerts[1].dst_port, alerts[1].sid), (IpProto::UDP, Some(161), 1417));
    assert_eq!(alerts[1].signature, "PROTOCOL-SNMP request udp");
}

#[test]
fn malformed_lines_are_counted_and_the_first_named() {
    let mut lines: Vec<String> = vec![
        "not json".into(),
        r#"{"event_type":"alert","timestamp":"2024-01-02T03:04:05Z","src_ip":"1.2.3.4","dest_ip":"5.6.7.8","proto":"TCP"}"#.into(),
        r#"{"event_type":"alert","timestamp":"yesterday","src_ip":"1.2.3.4","dest_ip":"5.6.7.8","proto":"TCP","alert":{"signature_id":1}}"#.into(),
        r#"{"timestamp":"01/02-13:59:31.123456","proto":"TCP","src_ap":"1.2.3.4:1","dst_ap":"5.6.7.8:23","rule":"1:2:3"}"#.into(),
        r#"{"event_type":"alert","timestamp":"2024-01-02T03:04:05Z","src_ip":"1.2.3.400","dest_ip":"5.6.7.8","proto":"TCP","alert":{"signature_id":1}}"#.into(),
        "[1, 2]".into(),
        "{}".into(),
        String::new(),
        EVE_ALERT.into(),
    ];
    lines.push("{\"event_type\":\"alert\"".into());
    let (alerts, read) = read(&lines.join("\n"));
    assert_eq!(alerts.len(), 1);
    assert_eq!((read.lines, read.malformed), (9, 8));
    assert_eq!(read.warnings.len(), 6, "{:?}", read.warnings);
    assert!(read.warnings[0].starts_with("eve.json line 1: not a JSON object"), "{}", read.warnings[0]);
    assert!(read.warnings[1].contains("line 2") && read.warnings[1].contains("\"alert\" object"));
    assert!(read.warnings[2].contains("line 3") && read.warnings[2].contains("\"yesterday\""));
    assert!(read.warnings[3].contains("line 4") && read.warnings[3].contains("-y"));
    assert!(read.warnings[4].contains("line 5") && read.warnings[4].contains("1.2.3.400"));
    assert_eq!(read.warnings[5], "eve.json: 3 more malformed lines skipped");
}

#[test]
fn times_without_a_nanosecond_timestamp_are_malformed_not_a_panic() {
    // Found by the `alerts` fuzz target: the year 4048 overflowed the
    // nanoseconds (a timestamp reaches 2262).
    for ts in [
        "4048-01-02T03:04:05.123456+0900",
        "2024-01-02T03:04:05+09999999999999",
        "2024-01-02T03:04:-5Z",
        "2024-01-02T03:04:05.-1Z",
    ] {
        let line = format!(
            r#"{{"timestamp":"{ts}","event_type":"alert","src_ip":"1.2.3.4","dest_ip":"5.6.7.8","proto":"TCP","alert":{{"signature_id":1}}}}"#
        );
        let (alerts, read) = read(&line);
        assert!(alerts.is_empty() && read.malformed == 1, "{ts}: {:?}", read.warnings);
    }
    let snort = r#"{"seconds":9223372036854775807,"proto":"TCP","src_addr":"1.2.3.4","dst_addr":"5.6.7.8","sid":1}"#;
    assert_eq!(read(snort).1.malformed, 1);
    let snort = r#"{"timestamp":"4294967295/01/02-13:59:31.1","proto":"TCP","src_addr":"1.2.3.4","dst_addr":"5.6.7.8","sid":1}"#;
    assert_eq!(read(snort).1.malformed, 1);
}

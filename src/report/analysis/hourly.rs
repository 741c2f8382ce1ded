//! The hourly packets of chosen destination ports on one day, summed over
//! the stored parts (the `ports_hourly` table): the capture daemon's status
//! page charts today's top ports with them.

use std::collections::HashMap;
use std::path::Path;

use super::AddCount;
use super::period::PortKey;
use crate::store::StoreError;
use crate::store::read::{Columns, batches, files};
use crate::time::{Day, NANOS_PER_HOUR};

/// Packets of each of `ports` (keys like `tcp/23`, in their order) in each
/// hour 0-23 of `day`, from the parts of `sensors` (all when empty).
pub fn hourly_ports(
    store: &Path,
    day: Day,
    sensors: &[String],
    ports: &[String],
) -> Result<Vec<(String, Vec<u64>)>, StoreError> {
    let mut wanted: HashMap<PortKey, usize> = HashMap::new();
    for (i, key) in ports.iter().enumerate() {
        if let Some(port) = parse(key) {
            wanted.insert(port, i);
        }
    }
    let mut out: Vec<(String, Vec<u64>)> = ports.iter().map(|k| (k.clone(), vec![0; 24])).collect();
    let start = day.start().0;
    for file in files(store, "ports_hourly", day, day, sensors)? {
        batches(&file.path, &["hour", "proto", "port", "packets"], |b| {
            let c = Columns::new(b, &file.path);
            let (hour, proto, port, packets) =
                (c.timestamps("hour")?, c.strings("proto")?, c.u16s("port")?, c.counts("packets")?);
            for row in 0..b.num_rows() {
                let Some(&i) = wanted.get(&PortKey::parse(proto.get(row), port.value(row))) else {
                    continue;
                };
                let h = (hour[row].saturating_sub(start) / NANOS_PER_HOUR).clamp(0, 23) as usize;
                out[i].1[h].add_count(packets[row]);
            }
            Ok(())
        })?;
    }
    Ok(out)
}

/// `tcp/23` → the port key.
fn parse(key: &str) -> Option<PortKey> {
    let (proto, port) = key.split_once('/')?;
    Some(PortKey::parse(Some(proto), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_keys_parse_back() {
        assert_eq!(parse("udp/53"), Some(PortKey { udp: true, port: 53 }));
        assert_eq!(parse("tcp/23"), Some(PortKey { udp: false, port: 23 }));
        assert_eq!(parse("icmp"), None);
    }
}

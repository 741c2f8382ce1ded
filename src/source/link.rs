//! Whether a network interface can deliver packets, as the kernel says
//! (getifaddrs through `nix`, so it is the interfaces of the process's own
//! network namespace). The daemon watches its capture interfaces with it:
//! libpcap's socket outlives an interface going down and up and captures
//! again once it is back, but says nothing meanwhile.

use nix::net::if_::InterfaceFlags;

/// An interface's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Up, with a carrier: packets can arrive.
    Up,
    /// Administratively down (`ip link set … down`).
    Down,
    /// Up, but without a carrier (a cable out, a veth peer down).
    NoCarrier,
    /// Not there any more.
    Missing,
}

impl LinkState {
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Up => "up",
            LinkState::Down => "down",
            LinkState::NoCarrier => "up without a carrier",
            LinkState::Missing => "gone",
        }
    }
}

/// The state of `iface` now; an error when the kernel cannot be asked.
pub fn link_state(iface: &str) -> Result<LinkState, nix::Error> {
    let mut seen = None;
    for entry in nix::ifaddrs::getifaddrs()? {
        if entry.interface_name == iface {
            // One entry per address family; the flags are the interface's.
            seen = Some(entry.flags);
            break;
        }
    }
    Ok(match seen {
        None => LinkState::Missing,
        Some(flags) => from_flags(flags),
    })
}

fn from_flags(flags: InterfaceFlags) -> LinkState {
    if !flags.contains(InterfaceFlags::IFF_UP) {
        LinkState::Down
    } else if !flags.contains(InterfaceFlags::IFF_RUNNING) {
        LinkState::NoCarrier
    } else {
        LinkState::Up
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_give_the_state() {
        assert_eq!(from_flags(InterfaceFlags::IFF_UP | InterfaceFlags::IFF_RUNNING), LinkState::Up);
        assert_eq!(from_flags(InterfaceFlags::IFF_UP), LinkState::NoCarrier);
        assert_eq!(from_flags(InterfaceFlags::IFF_RUNNING), LinkState::Down);
        assert_eq!(from_flags(InterfaceFlags::empty()), LinkState::Down);
    }

    #[test]
    fn loopback_is_up_and_a_made_up_name_is_missing() {
        // Every namespace has lo; it may be down in a fresh one.
        assert_ne!(link_state("lo").expect("getifaddrs"), LinkState::Missing);
        assert_eq!(link_state("no-such-if-0").expect("getifaddrs"), LinkState::Missing);
    }
}

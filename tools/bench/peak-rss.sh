# Sourced by the benchmark scripts: `peak_rss_anon PID` waits for process
# PID (a child of the script) and sets PEAK to its peak anonymous memory in
# KiB (RssAnon from /proc/PID/status, sampled every 20 ms: a mapped input
# file is not anonymous memory, so it does not count).
peak_rss_anon() {
    local pid=$1 kb
    PEAK=0
    while kill -0 "$pid" 2>/dev/null; do
        kb=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
        [ -n "$kb" ] && [ "$kb" -gt "$PEAK" ] && PEAK=$kb
        sleep 0.02
    done
    wait "$pid"
}

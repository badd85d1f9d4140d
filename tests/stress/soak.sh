#!/usr/bin/env bash
# soak.sh: mixed traffic for SOAK_SECONDS (default 600; 60 with STRESS_SHORT=1): unary calls, server
# streams, client streams, bidi streams over HTTP and over WebSocket, and clients that leave in the
# middle of a server stream, an upload or a WebSocket. The gateway's RSS and open descriptors are
# sampled every 2 s. Passes when every call that should succeed did, RSS is flat after warm-up (the
# average of the last third of the samples within 10 % of the middle third's), descriptors stay
# bounded during the run and return to the baseline once the traffic stops, and no call or stream
# is left open. RSS samples are averaged by thirds: the first is warm-up.
. "$(dirname "$0")/stress_lib.sh" || exit 99

SOAK_SECONDS=${SOAK_SECONDS:-$(pick 600 60)}
SAMPLE_S=2
STREAM_COUNT=20                  # messages per server stream, 20 ms apart: a client can leave mid-stream
RSS_GROWTH_BOUND=1.10             # last third's average over the middle third's
RSS_GROWTH_BOUND_KIB=1024         # and at most this much (10 % of a ~17 MiB gateway is ~1.7 MiB)
FD_SLACK=40                      # descriptors above the baseline during the run (the client holds ~10)

start greeter "$GREETER_SERVER" --listen 127.0.0.1:0 --quiet --stream-count "$STREAM_COUNT" --stream-interval-ms 20
start_gateway gw --backend "127.0.0.1:$(listen_port greeter)"
GW_PID=$(pid_of gw)
req POST "$GW_URL/v1/hello" -d '{"name":"warm"}'
expect_eq 200 "$STATUS" "the gateway serves"
FD0=$(fd_count "$GW_PID")
RSS_START=$(rss_kib "$GW_PID")
note "soak: ${SOAK_SECONDS}s of mixed traffic (baseline: $RSS_START KiB RSS, $FD0 descriptors)"

bg_client soak soak "${GW_URL#http://}" --seconds "$SOAK_SECONDS" --stream-count "$STREAM_COUNT"
: >"$WORK/series"
t0=$(now_ms)
while kill -0 "${PIDS[soak]}" 2>/dev/null; do
  echo "$(( ($(now_ms) - t0) / 1000 )) $(rss_kib "$GW_PID") $(fd_count "$GW_PID")" >>"$WORK/series"
  _next_sample() { [ "$(now_ms)" -ge $((t0 + $(wc -l <"$WORK/series") * SAMPLE_S * 1000)) ] || ! kill -0 "${PIDS[soak]}" 2>/dev/null; }
  wait_for $((SAMPLE_S + 5)) _next_sample
done
wait_client soak
cat "$WORK/soak.out"
kill -0 "$GW_PID" || fail "the gateway died during the soak"

# The series: thirds of the RSS samples, and the descriptors' peak.
read -r n first_avg mid_avg last_avg rss_min rss_max fd_max < <(awk '
  { t[NR] = $1; r[NR] = $2; f[NR] = $3 }
  END {
    k = int(NR / 3); fmax = 0; rmin = r[1]; rmax = r[1]
    for (i = 1; i <= NR; i++) {
      if (i <= k) a += r[i]; else if (i <= 2 * k) b += r[i]; else c += r[i]
      if (f[i] > fmax) fmax = f[i]; if (r[i] < rmin) rmin = r[i]; if (r[i] > rmax) rmax = r[i]
    }
    printf "%d %.0f %.0f %.0f %d %d %d\n", NR, a / k, b / k, c / (NR - 2 * k), rmin, rmax, fmax
  }' "$WORK/series")
note "RSS series (KiB, every ${SAMPLE_S}s): $(awk '{printf "%s ", $2}' "$WORK/series")"
note "descriptor series: $(awk '{printf "%s ", $3}' "$WORK/series")"
figure seconds "$SOAK_SECONDS" s
figure samples "$n"
figure rss_first_third_avg_kib "$first_avg" KiB
figure rss_middle_third_avg_kib "$mid_avg" KiB
figure rss_last_third_avg_kib "$last_avg" KiB
figure rss_min_max_kib "$rss_min/$rss_max" KiB
figure fds_baseline_peak "$FD0/$fd_max"
for kind in unary server_stream client_stream bidi_http websocket leave_server_stream leave_upload leave_websocket; do
  line=$(grep "^$kind " "$WORK/soak.out") || fail "no $kind traffic"
  figure "${kind}_ok" "$(kv ok "$line")"
  check "$(kv ok "$line") > 0" "$kind calls were made"
done

check "$n >= 9" "enough samples for thirds"
check "$last_avg <= $mid_avg * $RSS_GROWTH_BOUND" "RSS is flat after warm-up (last third within 10% of the middle third)"
check "$last_avg - $mid_avg <= $RSS_GROWTH_BOUND_KIB" "RSS grew by at most $RSS_GROWTH_BOUND_KIB KiB from the middle to the last third"
check "$fd_max <= $FD0 + $FD_SLACK" "descriptors stayed bounded during the run"

_idle() { [ "$(fd_count "$GW_PID")" -le "$FD0" ] && [ "$(metric calls_in_flight)" = 0 ] && [ "$(metric streams_open)" = 0 ]; }
wait_for 15 _idle
figure fds_after "$(fd_count "$GW_PID")"
echo "ok - descriptors back to $FD0, no call in flight, no stream open"
req POST "$GW_URL/v1/hello" -d '{"name":"after"}'
expect_eq 200 "$STATUS" "the gateway serves after the soak"
# Last, so that the figures and checks above are there whatever happened to single calls.
expect_eq "failed_total=0" "$(grep failed_total= "$WORK/soak.out")" "every call that should succeed succeeded"

# search_http.sh: sourced by the search benches. search_http LABEL BASE
# TOKEN DIR: the same query mix (16 queries, 20 times each: words, a
# prefix, a phrase, every filter, a deep page) over HTTP with keep-alive
# from one curl process; prints p50 and p99 of curl's time_total. Fails
# if any answer is not a 200.
search_http() {
  label=$1
  base=$2
  tok=$3
  dir=$4
  : >"$dir/urls"
  for q in load+balancer timeout checkout+502 datab %22flash+sale%22 kalomi \
    redis+replica+storm 'certificate+expired&type=postmortem' \
    'dns&category=dependency' 'pool+exhausted&category=capacity' \
    'outage&severity=SEV1' 'deploy+rollback&component=payments' \
    'cache&tag=redis' 'latency&from=2024-06-01&to=2024-08-31' \
    'memory+leak&type=action' 'timeout&cursor=2000'; do
    for i in $(seq 20); do echo "$base/api/v1/search?q=$q" >>"$dir/urls"; done
  done
  # "next" ends each URL's options (headers would otherwise pile up on
  # every request: 320 Authorization headers are a 431).
  awk -v tok="$tok" '{ if (NR > 1) print "next"
    printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0
    printf "write-out = \"%%{http_code} %%{time_total}\\n\"\n"
    printf "header = \"Authorization: Bearer %s\"\n", tok }' "$dir/urls" \
    >"$dir/curl.cfg"
  curl -s --config "$dir/curl.cfg" >"$dir/times"
  if grep -qv '^200 ' "$dir/times"; then
    echo "$label: some requests failed:" >&2
    cut -d' ' -f1 "$dir/times" | sort | uniq -c >&2
    return 1
  fi
  cut -d' ' -f2 "$dir/times" | sort -n | awk -v l="$label" '{a[NR]=$1} END {
    printf "%s (keep-alive, %d requests): p50 %.2f ms, p99 %.2f ms\n", l, NR,
      a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000}'
}

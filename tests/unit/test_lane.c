/* test_lane: lanes admit up to their limit and refuse (not queue) past it;
** the body budget reserves and refuses; the in-flight count. */
#include "harness.h"
#include "lane.h"

int main(void) {
  lane_configure(2, 1, 1000);
  CHECK("the first slow request gets in", lane_enter(LANE_SLOW));
  CHECK("the second too", lane_enter(LANE_SLOW));
  CHECK("the third is refused", !lane_enter(LANE_SLOW));
  int nBusy = 0, nMax = 0;
  unsigned long nRefused = 0;
  lane_counts(LANE_SLOW, &nBusy, &nMax, &nRefused);
  CHECK_INT("two busy", nBusy, 2);
  CHECK_INT("limit 2", nMax, 2);
  CHECK_INT("one refused", (int)nRefused, 1);
  CHECK("the ingest lane is separate", lane_enter(LANE_INGEST));
  CHECK("and full at one", !lane_enter(LANE_INGEST));
  lane_leave(LANE_SLOW);
  CHECK("a place freed is taken again", lane_enter(LANE_SLOW));
  CHECK_STR("names", lane_name(LANE_INGEST), "ingest");

  CHECK("600 bytes fit in 1000", lane_body_reserve(600));
  CHECK("400 more fit exactly", lane_body_reserve(400));
  CHECK("one more byte does not", !lane_body_reserve(1));
  lane_body_release(400);
  CHECK("after a release it does", lane_body_reserve(1));
  size_t nHeld = 0;
  lane_body_counts(&nHeld, &nRefused);
  CHECK_INT("601 held", (int)nHeld, 601);
  CHECK_INT("one refusal", (int)nRefused, 1);

  lane_request_begin();
  lane_request_begin();
  lane_request_end();
  CHECK_INT("one request in flight", lane_requests(), 1);
  return harness_exit();
}

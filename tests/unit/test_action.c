/* test_action: the overdue rule at UTC day boundaries. */
#include "action.h"
#include "harness.h"
#include "utc.h"

static int64_t at(const char *z) {
  int64_t ms = 0;
  utc_parse_iso(z, strlen(z), &ms);
  return ms;
}

int main(void) {
  char zDay[11];
  action_today(at("2026-11-23T23:59:59.999Z"), zDay);
  CHECK_STR("today at the last ms of a day", zDay, "2026-11-23");
  action_today(at("2026-11-24T00:00:00Z"), zDay);
  CHECK_STR("today at midnight UTC", zDay, "2026-11-24");
  action_today(at("2026-11-24T01:30:00+05:00"), zDay);
  CHECK_STR("today is the UTC day, not the local one", zDay, "2026-11-23");

  CHECK(
      "due today is not overdue at 23:59:59.999",
      !action_is_overdue("2026-11-23", "open", at("2026-11-23T23:59:59.999Z")));
  CHECK("due yesterday is overdue from 00:00:00 UTC",
        action_is_overdue("2026-11-23", "open", at("2026-11-24T00:00:00Z")));
  CHECK("due today is not overdue at 00:00:00",
        !action_is_overdue("2026-11-23", "open", at("2026-11-23T00:00:00Z")));
  CHECK("in_progress counts as open",
        action_is_overdue("2026-11-01", "in_progress",
                          at("2026-11-24T00:00:00Z")));
  CHECK("done is never overdue",
        !action_is_overdue("2026-11-01", "done", at("2026-11-24T00:00:00Z")));
  CHECK(
      "wont_do is never overdue",
      !action_is_overdue("2026-11-01", "wont_do", at("2026-11-24T00:00:00Z")));
  CHECK("no due date is never overdue",
        !action_is_overdue(NULL, "open", at("2026-11-24T00:00:00Z")));
  CHECK("an empty due date is never overdue",
        !action_is_overdue("", "open", at("2026-11-24T00:00:00Z")));
  CHECK("year boundary",
        action_is_overdue("2026-12-31", "open", at("2027-01-01T00:00:00Z")));
  CHECK("leap day",
        !action_is_overdue("2028-02-29", "open", at("2028-02-29T12:00:00Z")));
  return harness_exit();
}

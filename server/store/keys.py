"""Every Redis key and channel name, under one prefix, each with its lifetime.

No other module builds a key: code that needs one asks ``Keys``. The table is also the
schema's documentation (docs/operations.md repeats it for operators):

=============================  ==========================  =====================================
key                            type                        lifetime
=============================  ==========================  =====================================
``s:{sid}``                    hash: the session (with     live TTL while open (refreshed by
                               ``at.<uid>``: where each    every message); retention after end
                               person in it is connected)
``s:{sid}:msgs``               stream: the transcript      as the session hash
``s:{sid}:refs``               hash: client refs stored    as the session hash
``s:{sid}:staff``              stream: whispers, notes,    at least the live TTL from each
                               handover notes (staff only) entry; the session's retention
                                                           once it ends (end_session.lua)
``u:s.<id>:sessions``          set: a seeker's sessions    seeker TTL (refreshed on resume)
``u:h.<name>:sessions``,       set: a staff member's       reason: small, bounded by sessions;
``u:c.<name>:sessions``        sessions                    each leaves once a welcome showed
                                                           its end
``u:<uid>:open``               string: a seeker's open     live TTL; deleted when it ends
                               session (one at a time)
``loc:<uid>``                  string: node of a person    24 h, refreshed on connect
                               (copied into each of their
                               sessions as ``at.<uid>``)
``seeker:s.<id>``              hash: alias, lang, asked    seeker TTL (idle TTL until asked)
``resume:<digest>``            string: seeker uid          seeker TTL (idle TTL until the
                                                           seeker first asks for help)
``seeker:s.<id>:requests``     counter: requests this hour 1 h from the first
``staff`` / ``staff:<name>``   set / hash: accounts        until removed (they are the accounts)
``staff:<name>:tokens``        set: token digests          token TTL
``token:<digest>``             hash: a sign-in             token TTL
``signin:<digest>``            hash: a name's sign-in      the sign-in window after the last
                               attempts (name digest)      attempt (plus its delay)
``device:<digest>``            hash: a trusted device      device TTL (30 days), renewed by
                               (cookie digest)             each sign-in through it
``staff:<name>:totp``          hash: TOTP secret, last     until reset (reason: part of the
                               step used, disabled flag    account; removed with it)
``staff:<name>:recovery``      set: recovery code digests  as ``staff:<name>:totp``
``totp:pending:<name>``        string: secret being        10 min (enrolment window)
                               enrolled
``enrol:<digest>``             string: who may enrol now   10 min (enrolment window)
``enroltries:<digest>``        counter: wrong confirming   10 min (enrolment window)
                               codes of one ticket/token
``sso:<state>``                hash: nonce, PKCE verifier  10 min; deleted when used (once)
``a:<aid>``                    hash: an alert              escalated retention once raised
``{alerts}:open``/``:claimed`` zset: alert ids             reason: each member leaves when its
                                                           alert is claimed/resolved
``{alerts}:up``               zset: alerts passed up,     reason: each member leaves when a
                               not yet taken up            centre counselor takes it up or it
                                                           is resolved
``{alerts}:all``               zset: alert ids by time     escalated retention after the newest
                                                           alert (trimmed on each raise)
``watch``                      zset: watched sessions      24 h after the newest (trimmed on
                                                           each add)
``audit``                      stream                      reason: capped at 100,000 entries
``feedback``                   list: anonymous ratings     reason: capped at 100,000 entries,
                                                           no ids or text
``deadlines``                  zset: grace timers          reason: each member is removed when
                                                           it falls due
``oncall`` / ``oncall:pref``   hash / set: counselors      reason: one field per counselor
``nodes``                      zset: heartbeats            reason: a dead node is removed by
                                                           the first process to notice
``nodeusers:<node>``           hash: who is on a node      node timeout × 4, refreshed by the
                                                           node's heartbeat
``{m}:...``                    matching (matching/)        see ``matching.MatchKeys``; no TTL:
                                                           queue, available, entry, helper, hs
                                                           lose members as sessions end;
                                                           waits, matches capped at 100
``{m}:blk:<seeker>``           set: helpers never paired   block time (``PEERLINE_BLOCK_S``),
                               with this seeker            refreshed on each block
``blockedby:<uid>``            zset: times a seeker was    the counting window (24 h)
                               blocked by helpers
``reqban:<uid>``               string: requests refused    the pause (``PEERLINE_ABUSE_PAUSE_S``)
``hours``                      hash: operating hours       reason: a setting, until changed
``settings``                   hash: live settings         reason: the admin's settings, until
                               (resources, tier timeout,   changed (store/live_settings.py)
                               cooldown, version)
``departments``                hash: id → names (zh, en)   reason: configuration, until removed
``canned``                     hash: approved replies      reason: the centre's templates, until
                                                           changed or removed
``lib:items``                  hash: library items (JSON)  reason: curated content, kept until
                                                           a counselor deletes the item
``lib:opens``                  hash: opens per item        reason: one field per item, removed
                                                           with the item; no ids
``lib:seeded``                 string: defaults installed  reason: one marker, so deleted
                                                           default items are not re-added
``story:<id>``                 hash: a story (masked)      pending/published: reason: until
                                                           decided / deleted; rejected, revise:
                                                           story retention (30 d)
``storyrcpt:<digest>``         string: story id            receipt TTL (90 d), refreshed on
                                                           each decision
``stories:pending``/``:pub``   zset: story ids             reason: a member leaves when its
                                                           story is decided / deleted
``win:<what>:<minute>``        counter: anonymous writes   2 minutes (the rate window)
``diary:{<digest>}:<day>``     string: one diary entry     diary retention (default 180 d)
``diarywin:<digest>:<hour>``   counter: diary writes       2 hours (the rate window)
``tally:<week>``               hash: anonymous counts      statistics retention (2 years); no
                                                           ids, no text, floored when read
``stats:<hour>``                hash: anonymous counts of   statistics retention (default 2
                               one UTC hour (no ids, text) years), renewed by each write
``stats:lead:<what>:<slot>``   string: which process       2 slots (the election's period)
                               samples / checks this slot
``warn:<id>``                  hash: an early warning      warning retention (90 days)
``warnings``                   zset: warning ids by time   warning retention after the newest
                                                           (older ids trimmed on each raise)
``warn:cond:<condition>``      string: a condition already the repeat window (at least 1 h)
                               warned of
``warn:thresholds``            string: thresholds (JSON)   reason: a setting, until changed
``s:{<sid>}:read``            string: empty, a replay's   1 second (written only with
                               write for WAIT to cover     durability ``replica``)
``node:<node>``, ``bcast``     pub/sub channels            (channels hold nothing)
=============================  ==========================  =====================================

Redis Cluster: every key a script touches is one of its KEYS, and the KEYS of one call share
one hash slot (``tests/integration/test_cluster_slots.py`` checks both on a whole contract
run). The hash tags that make it so:

- ``{<sid>}``: a session's hash, transcript, refs and staff log (say.lua, end_session.lua);
  where its people are connected is kept in its hash (``at.<uid>``), not read from their
  ``loc:`` keys, so the message path stays on the session's slot;
- ``{m}``: all matching state, so pairing stays one atomic script (one shard serves it);
- ``{alerts}``: the alert indices, changed together;
- a diary's days (``{<digest>}``), read with one MGET.

Work that touches keys of two of these (ending a session frees its helper's place in
matching, raising an alert lists it, a match notes where both people are) is done as steps
on one slot each, ordered so that a crash between two leaves a state the next call repairs
(each such method's docstring says how).
"""

from __future__ import annotations

from matching import MatchKeys

SCHEMA_VERSION = 2
"""The layout of the keys below; ``peerline backup`` records it and ``restore`` checks it.
Raise it when a key changes meaning, so an old backup is refused instead of misread.
2: the alert indices moved under the hash tag ``{alerts}``, and sessions note where their
people are (``at.<uid>``) for Redis Cluster (issue 17)."""
AUDIT_MAXLEN = 100_000
FEEDBACK_MAXLEN = 100_000
LOCATION_TTL_S = 24 * 3600
WATCH_WINDOW_S = 24 * 3600
"""How long a session stays on the watch list that an on-call counselor is sent."""
STORY_RETENTION_S = 30 * 24 * 3600
"""A rejected story, or one sent back for an edit, is kept this long for its author."""
RECEIPT_TTL_S = 90 * 24 * 3600
"""A story's receipt code works this long after the story's last change."""
TALLY_TTL_S = 2 * 366 * 24 * 3600
"""Anonymous weekly counts (library opens, moods, self-check bands) are kept two years."""


class Keys:
    def __init__(self, prefix: str) -> None:
        self.p = prefix
        self.match = MatchKeys(prefix)
        self.deadlines = f"{prefix}:deadlines"
        self.staff_index = f"{prefix}:staff"
        self.oncall = f"{prefix}:oncall"
        self.oncall_pref = f"{prefix}:oncall:pref"
        # One hash tag: they change together (claim, resolve, reopen) in one transaction.
        self.alerts_open = f"{prefix}:{{alerts}}:open"
        self.alerts_claimed = f"{prefix}:{{alerts}}:claimed"
        self.alerts_all = f"{prefix}:{{alerts}}:all"
        self.alerts_up = f"{prefix}:{{alerts}}:up"
        self.alert_prefix = f"{prefix}:a:"
        self.watchlist = f"{prefix}:watch"
        self.audit = f"{prefix}:audit"
        self.feedback = f"{prefix}:feedback"
        self.hours = f"{prefix}:hours"
        self.live_settings = f"{prefix}:settings"
        self.departments = f"{prefix}:departments"
        self.canned = f"{prefix}:canned"
        self.nodes = f"{prefix}:nodes"
        self.bcast = f"{prefix}:bcast"
        self.loc_prefix = f"{prefix}:loc:"

    def session(self, sid: str) -> str:
        return f"{self.p}:s:{{{sid}}}"

    def stream(self, sid: str) -> str:
        return f"{self.p}:s:{{{sid}}}:msgs"

    def refs(self, sid: str) -> str:
        return f"{self.p}:s:{{{sid}}}:refs"

    def read_mark(self, sid: str) -> str:
        """Written (empty, 1 s) before a replay's ``WAIT``: ``WAIT`` covers the writes of its
        own connection, so a write on the session's slot makes it cover what was read there
        (``SessionStore.confirm_read``; on a Cluster that is the session's master)."""
        return f"{self.p}:s:{{{sid}}}:read"

    def staff_log(self, sid: str) -> str:
        """Whispers and notes: apart from the transcript, so no seeker path can read them."""
        return f"{self.p}:s:{{{sid}}}:staff"

    def blocked_by(self, seeker: str) -> str:
        return f"{self.p}:blockedby:{seeker}"

    def request_ban(self, seeker: str) -> str:
        return f"{self.p}:reqban:{seeker}"

    def user_sessions(self, uid: str) -> str:
        return f"{self.p}:u:{uid}:sessions"

    def open_request(self, uid: str) -> str:
        return f"{self.p}:u:{uid}:open"

    def loc(self, uid: str) -> str:
        return self.loc_prefix + uid

    def staff(self, username: str) -> str:
        return f"{self.p}:staff:{username}"

    def staff_tokens(self, username: str) -> str:
        return f"{self.p}:staff:{username}:tokens"

    def token(self, digest: str) -> str:
        return f"{self.p}:token:{digest}"

    def signin_gate(self, name_digest: str) -> str:
        """Sign-in attempts under a name: keyed by a digest, never by the typed string."""
        return f"{self.p}:signin:{name_digest}"

    def device(self, cookie_digest: str) -> str:
        return f"{self.p}:device:{cookie_digest}"
    def totp(self, username: str) -> str:
        return f"{self.p}:staff:{username}:totp"

    def recovery(self, username: str) -> str:
        return f"{self.p}:staff:{username}:recovery"

    def totp_pending(self, username: str) -> str:
        return f"{self.p}:totp:pending:{username}"

    def enrolment(self, digest: str) -> str:
        return f"{self.p}:enrol:{digest}"

    def enrol_tries(self, digest: str) -> str:
        return f"{self.p}:enroltries:{digest}"

    def sso_state(self, state: str) -> str:
        return f"{self.p}:sso:{state}"

    def staff_extra(self, username: str) -> tuple[str, ...]:
        """The account's keys besides its hash, removed with it."""
        return (self.totp(username), self.recovery(username), self.totp_pending(username))

    def resume(self, digest: str) -> str:
        return f"{self.p}:resume:{digest}"

    def seeker(self, uid: str) -> str:
        return f"{self.p}:seeker:{uid}"

    def seeker_requests(self, uid: str) -> str:
        return f"{self.p}:seeker:{uid}:requests"

    def alert(self, aid: str) -> str:
        return self.alert_prefix + aid

    def node_users(self, node: str) -> str:
        return f"{self.p}:nodeusers:{node}"

    def node_channel(self, node: str) -> str:
        return f"{self.p}:node:{node}"

    # -- between chats: library, stories, diary, anonymous tallies ---------------------------

    @property
    def library(self) -> str:
        return f"{self.p}:lib:items"

    @property
    def library_opens(self) -> str:
        return f"{self.p}:lib:opens"

    @property
    def library_seeded(self) -> str:
        return f"{self.p}:lib:seeded"

    def story(self, story_id: str) -> str:
        return f"{self.p}:story:{story_id}"

    def story_receipt(self, digest: str) -> str:
        return f"{self.p}:storyrcpt:{digest}"

    @property
    def stories_pending(self) -> str:
        return f"{self.p}:stories:pending"

    @property
    def stories_published(self) -> str:
        return f"{self.p}:stories:pub"

    def window(self, what: str, minute: int) -> str:
        return f"{self.p}:win:{what}:{minute}"

    def diary_entry(self, digest: str, day: str) -> str:
        # One hash tag per diary: its days live in one Cluster slot, so one MGET reads them.
        return f"{self.p}:diary:{{{digest}}}:{day}"

    def diary_window(self, digest: str, hour: int) -> str:
        return f"{self.p}:diarywin:{digest}:{hour}"

    def tally(self, week: str) -> str:
        return f"{self.p}:tally:{week}"

    # -- anonymous statistics and early warning (issue 19) ---------------------------------

    def stats_hour(self, hour: int) -> str:
        return f"{self.p}:stats:{hour}"

    def stats_lead(self, what: str, slot: int) -> str:
        return f"{self.p}:stats:lead:{what}:{slot}"

    def warning(self, wid: str) -> str:
        return f"{self.p}:warn:{wid}"

    @property
    def warnings(self) -> str:
        return f"{self.p}:warnings"

    def warning_condition(self, condition: str) -> str:
        return f"{self.p}:warn:cond:{condition}"

    @property
    def warning_thresholds(self) -> str:
        return f"{self.p}:warn:thresholds"

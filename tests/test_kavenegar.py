"""AsyncKavenegarAPI against the in-process FakeKavenegar."""

from __future__ import annotations

import json
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Iterator, Sequence

import aiohttp
import kavenegar
import pytest
import pytest_asyncio

from sms.kavenegar import (
    STATUS_TEXT,
    AsyncKavenegarAPI,
    KavenegarError,
    KavenegarTransportError,
    _raw,
)
from tests.fakes.kavenegar import FakeKavenegar

KEY = "5EC12E7-KaVeNeGaR-4p1K3y-0123456789abcdef"
LINE = "10004346"
M1, M2 = "09121234567", "09351234567"

# Written out independently of sms.kavenegar.is_retryable on purpose.
NOT_RETRYABLE = [400, 401, 403, 404, 405, 406, 407, 411, 412, 413, 414, 417, 418, 419, 420,
                 422, 424, 426, 427, 428, 431, 432, 501]  # fmt: skip
RETRYABLE = [409, 451, 500, 502, 503, 504]


def batched(items: Sequence[str], n: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeKavenegar]:
    async with FakeKavenegar(valid_key=KEY, default_sender=LINE) as f:
        yield f


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trust_env=False) as s:
        yield s


@pytest_asyncio.fixture
async def api(fake: FakeKavenegar, session: aiohttp.ClientSession) -> AsyncKavenegarAPI:
    return AsyncKavenegarAPI(KEY, session=session, base_url=fake.url, timeout=2.0)


def assert_no_key(exc: BaseException) -> None:
    shown = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    chained: BaseException | None = exc
    while chained is not None:  # what an error reporter walking the chain would see
        shown += [str(chained), repr(chained)]
        chained = chained.__cause__ or chained.__context__
    assert not any(KEY in s for s in shown)


# --- sending -------------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_send(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    credit = fake.credit
    entries = await api.send([M1, M2], "نوبت شما: ۱۴۰۳/۰۹/۱۲ ساعت ۹", sender=LINE)
    assert [e["receptor"] for e in entries] == [M1, M2]
    assert all(e["status"] == 1 and e["sender"] == LINE for e in entries)
    assert {"messageid", "message", "statustext", "date", "cost"} <= entries[0].keys()
    (call,) = fake.calls
    assert call.method == "sms/send" and call.params["receptor"] == [M1, M2]
    assert call.form["receptor"] == f"{M1},{M2}"
    assert call.key == KEY and call.http_method == "POST"
    assert [m.receptor for m in fake.sent] == [M1, M2]
    assert fake.credit == credit - 2 * fake.cost_per_part


@pytest.mark.asyncio
async def test_send_validates_before_calling(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    with pytest.raises(ValueError):
        await api.send([M1] * 201, "x")
    with pytest.raises(ValueError):
        await api.send([], "x")
    with pytest.raises(ValueError):
        await api.send([M1, M2], "x", localid=["only-one"])
    with pytest.raises(ValueError):
        await api.send([M1], "x" * 901)
    with pytest.raises(ValueError):
        await api.send([f"{M1},{M2}"], "x")
    assert fake.calls == []


@pytest.mark.asyncio
async def test_sendarray_450_in_batches(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    receptors = [f"0912{i:07d}" for i in range(450)]
    messages = [f"سلام {i}، کارت شما آماده است" for i in range(450)]
    entries = []
    for rs, ms in zip(batched(receptors, 200), batched(messages, 200), strict=True):
        entries += await api.sendarray(rs, ms, LINE, localids=[f"L{r}" for r in rs])
    calls = fake.calls_to("sms/sendarray")
    assert [len(c.params["receptor"]) for c in calls] == [200, 200, 50]
    assert all(len(c.params["receptor"]) <= 200 for c in calls)
    # the wire format: JSON arrays of equal length, Persian intact
    assert json.loads(calls[2].form["message"]) == messages[400:]
    assert calls[0].params["sender"] == [LINE] * 200
    assert calls[0].params["localmessageids"][0] == f"L{receptors[0]}"
    assert len(entries) == len(fake.sent) == 450
    assert [e["receptor"] for e in entries] == receptors


@pytest.mark.asyncio
async def test_sendarray_validation(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    with pytest.raises(ValueError):
        await api.sendarray([M1] * 201, ["x"] * 201, LINE)
    with pytest.raises(ValueError):
        await api.sendarray([M1, M2], ["x"], LINE)
    with pytest.raises(ValueError):
        await api.sendarray([M1, M2], ["x", "y"], [LINE])
    with pytest.raises(ValueError):
        await api.sendarray([M1], ["x"], LINE, localids=["a", "b"])
    assert fake.calls == []


@pytest.mark.asyncio
async def test_fake_answers_419_on_unequal_arrays(
    api: AsyncKavenegarAPI, fake: FakeKavenegar
) -> None:
    params = {"receptor": json.dumps([M1, M2]), "sender": json.dumps([LINE]), "message": "[]"}
    with pytest.raises(KavenegarError) as info:
        await api.sms_sendarray(params)
    assert info.value.status == 419 and not info.value.retryable


@pytest.mark.asyncio
async def test_localid_dedupe(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    first = await api.send([M1], "یادآوری نوبت", localid=["outbox-7"])
    credit = fake.credit
    again = await api.send([M1], "یادآوری نوبت", localid=["outbox-7"])
    assert again[0]["messageid"] == first[0]["messageid"]
    assert len(fake.sent) == 1 and fake.credit == credit
    arr = await api.sendarray([M1, M2], ["a", "b"], LINE, localids=["outbox-7", "outbox-8"])
    assert arr[0]["messageid"] == first[0]["messageid"]
    assert [m.localid for m in fake.sent] == ["outbox-7", "outbox-8"]


# --- errors --------------------------------------------------------------------------------------
def test_status_text_covers_every_documented_code() -> None:
    assert set(STATUS_TEXT) - {200} == set(NOT_RETRYABLE + RETRYABLE) - {500, 502, 503, 504}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("code", "retryable"), [(c, False) for c in NOT_RETRYABLE] + [(c, True) for c in RETRYABLE]
)
async def test_error_codes(
    api: AsyncKavenegarAPI, fake: FakeKavenegar, code: int, retryable: bool
) -> None:
    fake.fail_next(code)
    with pytest.raises(KavenegarError) as info:
        await api.send([M1], "x")
    exc = info.value
    assert isinstance(exc, kavenegar.APIException)
    assert exc.status == code and exc.retryable is retryable
    assert exc.message and str(code) in str(exc)
    assert "/v1/***/sms/send.json" in str(exc)
    assert_no_key(exc)


@pytest.mark.asyncio
async def test_fail_next_times_then_success(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    fake.fail_next(409, times=2)
    for _ in range(2):
        with pytest.raises(KavenegarError):
            await api.send([M1], "x")
    assert len(await api.send([M1], "x")) == 1
    assert [c.status for c in fake.calls] == [409, 409, 200]


@pytest.mark.asyncio
async def test_wrong_key_is_403(fake: FakeKavenegar, session: aiohttp.ClientSession) -> None:
    other = "WRONG-" + KEY
    api = AsyncKavenegarAPI(other, session=session, base_url=fake.url)
    with pytest.raises(KavenegarError) as info:
        await api.account_info()
    assert info.value.status == 403 and not info.value.retryable
    assert other not in str(info.value) and other not in repr(info.value)


@pytest.mark.asyncio
async def test_rate_limit_451(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    fake.rate_limit_per_s = 2
    await api.account_info()
    await api.account_info()
    with pytest.raises(KavenegarError) as info:
        await api.account_info()
    assert info.value.status == 451 and info.value.retryable


@pytest.mark.asyncio
async def test_timeout_is_retryable_transport_error(
    fake: FakeKavenegar, session: aiohttp.ClientSession
) -> None:
    api = AsyncKavenegarAPI(KEY, session=session, base_url=fake.url, timeout=0.1)
    fake.delay = 0.5
    with pytest.raises(KavenegarTransportError) as info:
        await api.send([M1], "x")
    exc = info.value
    assert isinstance(exc, kavenegar.HTTPException) and exc.retryable
    assert "timeout" in str(exc)
    assert_no_key(exc)


@pytest.mark.asyncio
async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens
    api = AsyncKavenegarAPI(KEY, session=session, base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(KavenegarTransportError) as info:
        await api.send([M1], "x")
    assert info.value.retryable
    assert_no_key(info.value)


@pytest.mark.asyncio
async def test_non_json_answer(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    fake.fail_next(502, body="<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(KavenegarTransportError) as info:
        await api.send([M1], "x")
    assert info.value.retryable and info.value.status == 502
    assert_no_key(info.value)


@pytest.mark.asyncio
async def test_key_echoed_by_server_is_scrubbed(
    api: AsyncKavenegarAPI, fake: FakeKavenegar
) -> None:
    body = json.dumps({"return": {"status": 403, "message": f"key {KEY} unknown"}, "entries": None})
    fake.fail_next(403, body=body)
    with pytest.raises(KavenegarError) as info:
        await api.send([M1], "x")
    assert info.value.status == 403 and "***" in info.value.message
    assert_no_key(info.value)


@pytest.mark.asyncio
async def test_key_never_in_repr_or_logs(
    fake: FakeKavenegar, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = AsyncKavenegarAPI(KEY, session=session, base_url=fake.url, timeout=0.2)
    assert KEY not in repr(api) and KEY not in str(api)
    await api.send([M1], "x")
    await api.account_info()
    fake.fail_next(500)
    fake.fail_next(502, body="not json")
    for _ in range(2):
        with pytest.raises((KavenegarError, KavenegarTransportError)) as info:
            await api.send([M1], "x")
        logging.getLogger("test").exception("send failed", exc_info=info.value)
    fake.delay = 0.5
    with pytest.raises(KavenegarTransportError) as info:
        await api.status(["1"])
    logging.getLogger("test").error("status failed: %s", info.value, exc_info=info.value)
    assert caplog.records  # the client does log
    assert KEY not in caplog.text


def test_constructor_rejects_bad_keys() -> None:
    for bad in ("", "a/b", "a b"):
        with pytest.raises(ValueError) as info:
            AsyncKavenegarAPI(bad, session=None)  # type: ignore[arg-type]
        assert "a/b" not in str(info.value)


# --- verify/lookup -------------------------------------------------------------------------------
@pytest.mark.asyncio
async def test_verify_lookup(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    entries = await api.verify_lookup(M1, "verify", "4821")
    assert entries[0]["receptor"] == M1
    assert fake.sent[-1].message == "کد تأیید: 4821"
    assert fake.calls[-1].params == {"receptor": M1, "template": "verify", "token": "4821"}


@pytest.mark.asyncio
async def test_verify_lookup_raw_params_form(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    fake.templates["visit"] = "%token عزیز، نوبت شما %token2 است"
    entries = await api.verify_lookup(
        {"receptor": M2, "template": "visit", "token": "علی", "token2": "۱۲/۰۹"}
    )
    assert entries[0]["message"] == "علی عزیز، نوبت شما ۱۲/۰۹ است"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "kwargs",
    [
        {"token": "a b"},
        {"token": "a\nb"},
        {"token": "a_b"},
        {"token": "x" * 101},
        {"token": ""},
        {"token": "ok", "token2": "two words"},
        {"token": "ok", "token3": "under_score"},
    ],
)
async def test_verify_lookup_rejects_bad_tokens(
    api: AsyncKavenegarAPI, fake: FakeKavenegar, kwargs: dict[str, str]
) -> None:
    with pytest.raises(ValueError):
        await api.verify_lookup(M1, "verify", **kwargs)
    assert fake.calls == []


@pytest.mark.asyncio
async def test_verify_lookup_token_of_100_chars_passes_and_unknown_template_is_424(
    api: AsyncKavenegarAPI, fake: FakeKavenegar
) -> None:
    await api.verify_lookup(M1, "verify", "x" * 100)
    with pytest.raises(KavenegarError) as info:
        await api.verify_lookup(M1, "no-such-template", "1")
    assert info.value.status == 424 and not info.value.retryable


# --- status, receive, account --------------------------------------------------------------------
@pytest.mark.asyncio
async def test_status_round_trip(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    sent = await api.send([M1, M2], "x")
    fake.delivery[M2] = 11
    ids = [e["messageid"] for e in sent]
    statuses = await api.status([*ids, "999"])
    assert [s["status"] for s in statuses] == [10, 11, 100]
    assert [s["messageid"] for s in statuses[:2]] == ids
    assert fake.calls[-1].params["messageid"] == [str(i) for i in ids] + ["999"]
    with pytest.raises(ValueError):
        await api.status(["1"] * 501)
    with pytest.raises(ValueError):
        await api.status([])


@pytest.mark.asyncio
async def test_receive_round_trip(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    fake.add_inbound(M1, "لغو ۱۱", linenumber=LINE)
    fake.add_inbound(M2, "other line", linenumber="2000")
    unread = await api.receive(LINE, isread=False)
    assert [(m["sender"], m["message"], m["receptor"]) for m in unread] == [(M1, "لغو ۱۱", LINE)]
    assert fake.calls[-1].form == {"linenumber": LINE, "isread": "0"}
    assert await api.receive(LINE, isread=False) == []
    assert [m["messageid"] for m in await api.receive(LINE, isread=True)] == [
        unread[0]["messageid"]
    ]


@pytest.mark.asyncio
async def test_account_info_and_raw_surface(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    info = await api.account_info()
    assert info["remaincredit"] == fake.credit and info["type"] == "Master"
    entries = await api.sms_send({"receptor": [M1, M2], "message": "raw"})
    assert len(entries) == 2 and fake.calls[-1].form["receptor"] == f"{M1},{M2}"
    with pytest.raises(KavenegarError) as exc:
        await _raw("sms", "select")(api, {"messageid": "1"})  # not in the fake → 404
    assert exc.value.status == 404


@pytest.mark.asyncio
async def test_insufficient_credit(api: AsyncKavenegarAPI, fake: FakeKavenegar) -> None:
    fake.credit = fake.cost_per_part  # enough for one part only
    with pytest.raises(KavenegarError) as info:
        await api.send([M1, M2], "x")
    assert info.value.status == 418 and not info.value.retryable
    assert fake.sent == []


@pytest.mark.asyncio
async def test_invalid_url_error_does_not_leak_the_key(session: aiohttp.ClientSession) -> None:
    # aiohttp's InvalidURL text is the whole URL, key included: it must not surface.
    api = AsyncKavenegarAPI(KEY, session=session, base_url="http://127.0.0.1:99999")
    with pytest.raises(KavenegarTransportError) as info:
        await api.send([M1], "x")
    assert_no_key(info.value)

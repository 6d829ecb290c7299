"""Fetch pages like a browser would, and check what every page must get right."""

from __future__ import annotations

from collections import Counter

from bs4 import BeautifulSoup


def check_page(soup: BeautifulSoup) -> None:
    """One h1; the title starts with it (after "Error: "); no duplicate ids; forms post safely."""
    h1s = soup.select("h1")
    assert len(h1s) == 1, f"expected one h1, found {len(h1s)}"
    h1 = " ".join(h1s[0].get_text().split())
    title = " ".join(soup.title.get_text().split())
    assert title.removeprefix("Error: ").startswith(h1), (
        f"title {title!r} does not start with h1 {h1!r}"
    )
    ids = Counter(el["id"] for el in soup.select("[id]"))
    dupes = [i for i, n in ids.items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"
    for form in soup.select("form"):
        assert form.get("action"), "every form has an action"
        if form.get("method", "get").lower() == "post":
            assert form.select_one("input[name=csrf_token]"), (
                f"POST form {form['action']} lacks a CSRF token"
            )
    # No GOV.UK branding: this is not a GOV.UK service.
    assert not soup.select(
        ".govuk-header__logo, .govuk-footer__crown, .govuk-footer__copyright-logo"
    )


def soup(response) -> BeautifulSoup:
    """A response's page, parsed (unchecked: for a form shown again with its errors)."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def get_page(client, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, f"GET {url}: {response.status_code}"
    page = soup(response)
    check_page(page)
    return page


def csrf_token(client, url: str, form_selector: str = "main form[method=post]") -> str:
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    form = soup.select_one(form_selector)
    assert form is not None, f"no form {form_selector!r} on {url}"
    return form.select_one("input[name=csrf_token]")["value"]


def submit(
    client,
    url: str,
    data: dict,
    *,
    post_to: str | None = None,
    follow: bool = False,
    form_selector: str = "main form[method=post]",
):
    """GET ``url``, take its form's CSRF token, POST ``data`` (to ``post_to`` or ``url``).

    The response is read whole and closed, as a server does: emails go out only then.
    """
    token = csrf_token(client, url, form_selector)
    return client.post(
        post_to or url,
        data={"csrf_token": token, **data},
        follow_redirects=follow,
        buffered=True,
    )


def error_messages(soup: BeautifulSoup) -> dict[str, str]:
    """{field id: message} from the GOV.UK error messages beside fields."""
    out = {}
    for msg in soup.select(".govuk-error-message"):
        # Without the visually hidden "Error:" before it (in the page's language).
        hidden = msg.select_one(".govuk-visually-hidden")
        prefix = " ".join(hidden.get_text().split()) if hidden else "Error:"
        text = " ".join(msg.get_text().split()).removeprefix(prefix).strip()
        out[msg.get("id", "").removesuffix("-error")] = text
    return out


def summary_errors(soup: BeautifulSoup) -> list[str]:
    return [" ".join(a.get_text().split()) for a in soup.select(".govuk-error-summary__list a")]


def sign_in(client, email: str, password: str):
    """Sign in through the form; for staff (and anyone with two factors) through the second
    step too, enrolling an authenticator first when the account has none. The response that
    signs the browser in (a redirect), or the first that did not."""
    response = submit(client, "/auth/sign-in", {"email": email, "password": password})
    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    if "/auth/two-factor/set-up" in location:
        return set_up_two_factor(client, email)
    if "/auth/two-factor" in location:
        return prove_two_factor(client, email)
    return response


def totp_code(email: str, secret: str | None = None) -> str:
    """A code the account has not used yet: the authenticator's codes for the 30 seconds before,
    now and after all work, once each; past those, wait for the next 30 seconds."""
    import time

    import pyotp
    from sqlalchemy import select

    from app.web.extensions import db
    from app.workflow.models import User

    row = db.session.execute(
        select(User.totp_secret, User.totp_last_step).where(User.email == email)
    ).one()
    totp = pyotp.TOTP(secret or row.totp_secret)
    while True:
        step = totp.timecode(time.time())
        # Not the step before: the request may reach the server in the next 30 seconds.
        for candidate in (step, step + 1):
            if row.totp_last_step is None or candidate > row.totp_last_step:
                return totp.generate_otp(candidate)
        time.sleep(totp.interval - time.time() % totp.interval + 0.05)


def set_up_two_factor(client, email: str):
    page = soup(client.get("/auth/two-factor/set-up"))
    secret = "".join(page.select_one("#totp-secret").get_text().split())
    response = submit(client, "/auth/two-factor/set-up", {"code": totp_code(email, secret)})
    assert response.status_code == 302, soup(response).get_text(" ", strip=True)[:500]
    client.get("/auth/two-factor/recovery-codes")  # shown once, as a person would see them
    return response


def prove_two_factor(client, email: str):
    return submit(client, "/auth/two-factor", {"code": totp_code(email)})

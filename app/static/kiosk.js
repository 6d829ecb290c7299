// A kiosk's page: after a while without use it warns the voter, offers more time, and then
// goes back to the start screen (the server forgets the voter at the same time). Without
// JavaScript the page's own refresh does the same, without the warning.
const timer = document.querySelector(".devolve-kiosk-timer");
if (timer) {
  const idle = Number(timer.dataset.idleSeconds) * 1000;
  const warnBefore = 30 * 1000;
  let warning;
  let leaving;

  const arm = () => {
    clearTimeout(warning);
    clearTimeout(leaving);
    timer.hidden = true;
    warning = setTimeout(() => {
      timer.hidden = false;
      timer.querySelector("button").focus();
    }, Math.max(idle - warnBefore, 1000));
    leaving = setTimeout(() => window.location.assign(timer.dataset.startUrl), idle);
  };

  // More time: the server's clock too, so the voter is still there when they go on.
  timer.querySelector(".devolve-kiosk-more-time").addEventListener("click", async () => {
    const response = await fetch(timer.dataset.stillHereUrl, {
      method: "POST",
      headers: { "X-CSRFToken": timer.dataset.csrf },
      credentials: "same-origin",
    });
    if (response.status === 204) {
      arm();
    } else {
      window.location.assign(timer.dataset.startUrl);
    }
  });
  for (const event of ["keydown", "pointerdown", "input"]) {
    document.addEventListener(event, () => {
      if (timer.hidden) arm();
    });
  }
  arm();
}

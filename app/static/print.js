// A "print" button for pages meant to be printed (a kiosk's receipt, a check-in slip). Without
// JavaScript the button stays hidden and the page still shows everything.
for (const button of document.querySelectorAll(".devolve-print")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

// Running totals on a ballot page as it is filled in. Progressive enhancement only: the server
// works the same totals out whenever the page is sent ("Update totals"), and checks every rule
// again when the ballot is cast.
//
// The words are the page's: the template gives them in data-texts, in the page's language, with
// {name} placeholders and, where a number decides the wording, a sentence for each plural
// category (the browser's Intl.PluralRules picks it, as the server's CLDR data does). Nothing
// here is written in any language.
const total = document.getElementById("running-total");
if (total) {
  const form = total.closest("form");
  const kind = total.dataset.kind;
  const texts = JSON.parse(total.dataset.texts || "{}");
  const lang = document.documentElement.lang || "en";
  const locale = lang.includes("-") ? lang : `${lang}-GB`;
  const plurals = new Intl.PluralRules(locale);
  const numbers = new Intl.NumberFormat(locale);
  const money = (pence) => {
    const sign = pence < 0 ? "-" : "";
    const abs = Math.abs(pence);
    const pounds = numbers.format(Math.floor(abs / 100));
    const rest = abs % 100;
    return `${sign}£${pounds}${rest ? "." + String(rest).padStart(2, "0") : ""}`;
  };
  const forCount = (n) => texts[plurals.select(n)] ?? texts.other ?? "";
  const fill = (text, values) =>
    text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? values[key] : whole));
  // The sentence as text nodes, its <strong>…</strong> part bold: never parsed as HTML.
  const show = (sentence) => {
    const nodes = [];
    const parts = sentence.split(/<strong>|<\/strong>/);
    parts.forEach((part, i) => {
      if (i % 2 === 1) {
        const bold = document.createElement("strong");
        bold.textContent = part;
        nodes.push(bold);
      } else if (part) {
        nodes.push(document.createTextNode(part));
      }
    });
    total.replaceChildren(...nodes);
  };
  const update = () => {
    if (kind === "knapsack") {
      const budget = Number(total.dataset.budget);
      let spent = 0;
      for (const box of form.querySelectorAll("input[name=choices]:checked")) {
        spent += Number(box.dataset.cost || 0);
      }
      const left = budget - spent;
      const text = left < 0 ? texts.over : texts.within;
      show(fill(text || "", { spent: money(spent), budget: money(budget), left: money(left) }));
    } else if (kind === "cumulative") {
      const points = Number(total.dataset.points);
      let used = 0;
      for (const input of form.querySelectorAll("input[name^=points_]")) {
        const n = Number.parseInt(input.value, 10);
        if (!Number.isNaN(n)) used += n;
      }
      show(
        fill(forCount(points), {
          used: numbers.format(used),
          num: numbers.format(points),
          left: numbers.format(points - used),
        }),
      );
    } else {
      const chosen = new Set();
      for (const box of form.querySelectorAll("input[name=choices]:checked")) chosen.add(box.value);
      for (const select of form.querySelectorAll("select[name^=rank_]")) {
        if (select.value) chosen.add(select.value);
      }
      show(fill(forCount(chosen.size), { num: numbers.format(chosen.size) }));
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  // A module script runs after the page is shown: a box ticked (or a choice the browser put
  // back) before then is counted now, not at the next change.
  update();
  // The totals now follow every change: the button that asks the server for them is not needed.
  for (const button of form.querySelectorAll(".devolve-update-totals")) button.hidden = true;
}

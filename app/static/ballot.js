// Running totals on a ballot page as it is filled in. Progressive enhancement only: the server
// works the same totals out whenever the page is sent ("Update totals"), and checks every rule
// again when the ballot is cast.
const total = document.getElementById("running-total");
if (total) {
  const form = total.closest("form");
  const kind = total.dataset.kind;
  const money = (pence) => {
    const sign = pence < 0 ? "-" : "";
    const abs = Math.abs(pence);
    const pounds = Math.floor(abs / 100).toLocaleString("en-GB");
    const rest = abs % 100;
    return `${sign}£${pounds}${rest ? "." + String(rest).padStart(2, "0") : ""}`;
  };
  const show = (before, strong, after) => {
    const bold = document.createElement("strong");
    bold.textContent = strong;
    total.replaceChildren(document.createTextNode(before), bold, document.createTextNode(after));
  };
  const update = () => {
    if (kind === "knapsack") {
      const budget = Number(total.dataset.budget);
      let spent = 0;
      for (const box of form.querySelectorAll("input[name=choices]:checked")) {
        spent += Number(box.dataset.cost || 0);
      }
      const left = budget - spent;
      show(
        `You have chosen projects costing ${money(spent)} of ${money(budget)}: `,
        `${money(left)} left`,
        left < 0 ? " (over budget)." : ".",
      );
    } else if (kind === "cumulative") {
      const points = Number(total.dataset.points);
      let used = 0;
      for (const input of form.querySelectorAll("input[name^=points_]")) {
        const n = Number.parseInt(input.value, 10);
        if (!Number.isNaN(n)) used += n;
      }
      show(`You have used ${used} of ${points} ${points === 1 ? "point" : "points"}: `, `${points - used} left`, ".");
    } else {
      const chosen = new Set();
      for (const box of form.querySelectorAll("input[name=choices]:checked")) chosen.add(box.value);
      for (const select of form.querySelectorAll("select[name^=rank_]")) {
        if (select.value) chosen.add(select.value);
      }
      show("You have chosen ", String(chosen.size), chosen.size === 1 ? " project." : " projects.");
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  // The totals now follow every change: the button that asks the server for them is not needed.
  for (const button of form.querySelectorAll(".devolve-update-totals")) button.hidden = true;
}

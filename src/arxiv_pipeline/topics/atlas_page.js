// Draws the topic atlas from the JSON in #atlas-data: no library, no request.
// Every text of the data is written with textContent, never as markup.
"use strict";
(() => {
  const data = JSON.parse(document.getElementById("atlas-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const SPARK_WIDTH = 160;
  const SPARK_HEIGHT = 28;
  const lastOffset = data.month_offsets.length ? data.month_offsets[data.month_offsets.length - 1] : 0;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function percent(share) {
    return (100 * share).toFixed(2) + "%";
  }

  // The topic's share of each month's papers; x keeps calendar gaps, y is scaled to the topic's peak.
  function sparkline(trend) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", SPARK_WIDTH);
    svg.setAttribute("height", SPARK_HEIGHT);
    svg.setAttribute("viewBox", `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`);
    const title = document.createElementNS(SVG, "title");
    svg.appendChild(title);
    if (!trend.length) {
      title.textContent = "no month with enough papers";
      return svg;
    }
    const peak = Math.max(...trend);
    const peakMonth = data.months[trend.indexOf(peak)];
    const x = (i) => 2 + (lastOffset ? (data.month_offsets[i] / lastOffset) * (SPARK_WIDTH - 4) : (SPARK_WIDTH - 4) / 2);
    const y = (value) => SPARK_HEIGHT - 2 - (peak ? (value / peak) * (SPARK_HEIGHT - 4) : 0);
    let mark;
    if (trend.length === 1) {
      mark = document.createElementNS(SVG, "circle");
      mark.setAttribute("cx", x(0));
      mark.setAttribute("cy", y(trend[0]));
      mark.setAttribute("r", 2);
    } else {
      mark = document.createElementNS(SVG, "polyline");
      mark.setAttribute("points", trend.map((value, i) => `${x(i).toFixed(1)},${y(value).toFixed(1)}`).join(" "));
    }
    svg.appendChild(mark);
    const last = trend.length - 1;
    title.textContent =
      `share of each month's papers, ${data.months[0]} to ${data.months[last]}: ` +
      `peak ${percent(peak * data.share_unit)} (${peakMonth}), last ${percent(trend[last] * data.share_unit)}`;
    return svg;
  }

  function head(topic, tag, className) {
    const row = element(tag, className);
    row.append(
      element("span", "topic-id", topic.topic === -1 ? "\u2013" : `#${topic.topic}`),
      element("span", "name", topic.name),
      element("span", "size", `${topic.size.toLocaleString("en")} papers \u00b7 ${topic.papers.toLocaleString("en")} assigned`),
      sparkline(topic.trend),
    );
    return row;
  }

  function details(topic) {
    const box = element("div", "details");
    if (topic.words.length) box.append(element("div", "words", topic.words.join(", ")));
    if (topic.categories.length) {
      const shares = topic.categories.map((category) => `${category.name} ${percent(category.share)}`);
      box.append(element("div", "categories", `Primary categories: ${shares.join(", ")}`));
    }
    if (topic.representatives.length) {
      const list = element("ol", "representatives");
      for (const paper of topic.representatives) {
        const item = element("li");
        const link = element("a", "", paper.id);
        link.href = "https://arxiv.org/abs/" + encodeURI(paper.id);
        link.target = "_blank";
        link.rel = "noopener";
        item.append(link, element("span", "title", paper.title === null ? "(title not found)" : paper.title));
        list.append(item);
      }
      box.append(list);
    }
    return box;
  }

  function searchText(topic) {
    return [topic.name, ...topic.words].join(" ").toLowerCase();
  }

  const sections = data.coarse.map((coarse) => {
    const section = element("section", "coarse");
    section.dataset.topic = coarse.topic;
    const button = head(coarse, "button", "coarse-head");
    button.type = "button";
    button.setAttribute("aria-expanded", "false");
    const fineList = element("div", "fine-list");
    fineList.hidden = true;
    const fines = coarse.fine.map((fine) => {
      const article = element("article", "fine");
      article.dataset.topic = fine.topic;
      article.append(head(fine, "div", "fine-head"), details(fine));
      fineList.append(article);
      return { article, text: searchText(fine) };
    });
    const setOpen = (open) => {
      fineList.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
    };
    button.addEventListener("click", () => setOpen(fineList.hidden));
    section.append(button, details(coarse), fineList);
    return { section, fines, setOpen, text: searchText(coarse) };
  });
  document.getElementById("atlas").append(...sections.map((entry) => entry.section));

  // A coarse topic stays when it or one of its fine topics matches; a fine match opens it.
  const matches = document.getElementById("matches");
  document.getElementById("search").addEventListener("input", (event) => {
    const query = event.target.value.trim().toLowerCase();
    let shown = 0;
    for (const entry of sections) {
      const coarseMatch = entry.text.includes(query);
      let fineMatches = 0;
      for (const fine of entry.fines) {
        const match = fine.text.includes(query);
        fine.article.hidden = Boolean(query) && !match && !coarseMatch;
        fineMatches += match ? 1 : 0;
      }
      entry.section.hidden = !coarseMatch && !fineMatches;
      if (query && fineMatches) entry.setOpen(true);
      shown += (coarseMatch ? 1 : 0) + fineMatches;
    }
    matches.textContent = query ? `${shown} matching topic${shown === 1 ? "" : "s"}` : "";
  });
})();

// The root page: send the reader to the language they chose before, or the first of their
// browser's languages the site has, or the default one. The page lists the languages as
// plain links for readers without JavaScript.
(function () {
  "use strict";
  var list = document.querySelector(".language-list");
  if (!list) return;
  var links = {};
  list.querySelectorAll("a[data-language]").forEach(function (link) {
    links[link.getAttribute("data-language").toLowerCase()] = link.href;
  });

  function find(tag) {
    tag = String(tag || "").toLowerCase();
    if (links[tag]) return links[tag];
    var primary = tag.split("-")[0];
    if (links[primary]) return links[primary];
    for (var code in links) {
      if (code.split("-")[0] === primary) return links[code];
    }
    return null;
  }

  var wanted = [];
  try { wanted.push(localStorage.getItem("kbgen-language")); } catch (e) { /* no storage */ }
  wanted = wanted.concat(navigator.languages || [navigator.language]);
  var target = null;
  for (var i = 0; i < wanted.length && !target; i++) target = find(wanted[i]);
  target = target || find(list.getAttribute("data-default-language"));
  if (target) window.location.replace(target);
})();

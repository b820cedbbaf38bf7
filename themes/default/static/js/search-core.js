// kbgen search core: the browser twin of kbgen/search/normalize.py, stemmers.py, pipeline.py
// and query.py. Every function must behave exactly as its Python twin: the index was built
// in Python, and lunr.js only gives the same results with the same pipeline functions.
// Loaded by the search worker (importScripts) after lunr.js; defines self.kbgenSearch.
(function (root) {
  "use strict";

  var SPACES = /[\t\n\v\f\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]/g;
  var SEPARATORS = /[-\u2010-\u2015\u2212*]/g;
  var APOSTROPHES = /[\u2018\u2019\u201b\u02bc\u2032\uff07`\u00b4]/g;
  var ELISION = /^(l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'(.+)$/;
  var EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
  var MARKS = /[\u0300-\u036f]/g;
  var LETTERS = {
    "đ": "d", "Đ": "D", "œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE",
    "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"
  };
  var LETTER_RE = /[đĐœŒæÆøØłŁß]/g;

  function trim(word) { return word.replace(EDGES, ""); }

  function words(text) {
    text = String(text).normalize("NFC").toLowerCase()
      .replace(SPACES, " ").replace(SEPARATORS, " ").replace(APOSTROPHES, "'");
    var found = [];
    text.split(" ").forEach(function (raw) {
      var word = trim(raw);
      if (!word) return;
      var elided = ELISION.exec(word);
      if (elided) {
        var rest = trim(elided[2]);
        found.push(elided[1]);
        if (rest) found.push(rest);
      } else {
        found.push(word);
      }
    });
    return found;
  }

  function normalize(text) { return words(text).join(" "); }

  function fold(word) {
    var stripped = word.normalize("NFD").replace(MARKS, "")
      .replace(LETTER_RE, function (m) { return LETTERS[m]; });
    return stripped.normalize("NFC");
  }

  // Stemmers (see kbgen/search/stemmers.py) ------------------------------------------------

  var ASCII_WORD = /^[a-z]+$/;
  var FRENCH_WORD = /^[a-zàâäçéèêëîïôöùûüÿœæ]+$/;

  function stemFr(word) {
    if (word.length < 4 || !FRENCH_WORD.test(word)) return word;
    if (word.length >= 5 && word.slice(-3) === "aux") return word.slice(0, -3) + "al";
    if ("sx".indexOf(word.slice(-1)) >= 0) word = word.slice(0, -1);
    if (word.length >= 5 && word.slice(-2) === "er") return word.slice(0, -2);
    for (var i = 0; i < 2; i++) {
      if (word.length >= 4 && "eé".indexOf(word.slice(-1)) >= 0) word = word.slice(0, -1);
    }
    return word;
  }

  var FRENCH_STOP_WORDS = {};
  ("a à au aux c ce ces d dans de des du elle en est et il ils j l la le les leur leurs m " +
   "ma mais me mes n ne nous on ou où par pour qu que qui s sa se ses son sur t ta te tes ton " +
   "tu un une vos votre vous y").split(" ").forEach(function (w) { FRENCH_STOP_WORDS[w] = true; });

  // Pipeline functions, registered under the names kbgen/search/pipeline.py gives them.
  function register(lunr) {
    var stopFr = function (token) {
      return Object.prototype.hasOwnProperty.call(FRENCH_STOP_WORDS, token.toString())
        ? undefined : token;
    };
    var stemFrToken = function (token) {
      return token.update(function (s) { return stemFr(s); });
    };
    // English: lunr.js's own Porter stemmer, on words of a-z letters only.
    var stemEnToken = function (token) {
      var s = token.toString();
      return s.length >= 3 && ASCII_WORD.test(s) ? lunr.stemmer(token) : token;
    };
    lunr.Pipeline.registerFunction(stopFr, "kbgen-stop-fr");
    lunr.Pipeline.registerFunction(stemFrToken, "kbgen-stem-fr");
    lunr.Pipeline.registerFunction(stemEnToken, "kbgen-stem-en");
  }

  // Queries (see kbgen/search/query.py) ----------------------------------------------------

  var EXACT_FIELDS = ["t", "h", "b", "s", "d", "g"];
  var ALL_FIELDS = ["t", "h", "b", "s", "d", "g", "tf", "hf", "bf", "sf", "df", "gf"];
  var WHOLE_WORD = 4;

  function plan(index, query) {
    var typed = words(query), terms = [];
    typed.forEach(function (word, number) {
      var exact = index.pipeline.runString(word)[0];
      var folded = index.pipeline.runString(fold(word))[0];
      if (!exact || !folded) return;
      var prefix = number === typed.length - 1 && folded.length >= 2;
      terms.push({ exact: exact, folded: folded, prefix: prefix });
    });
    return terms;
  }

  // Whether an index term is the word as typed; a word being typed counts as a prefix only
  // if it carries accents ("bạ" is on its way to "bạn", but "va" must not favour "vai").
  function matchesExactly(term, indexTerm) {
    if (term.prefix && term.exact !== term.folded) return indexTerm.indexOf(term.exact) === 0;
    return indexTerm === term.exact;
  }

  // Whether an index term found in `fields` is the word in a title: as typed if it was typed
  // with accents ("bạn" is not "bàn"), else in any accents ("ban" is both).
  function inTitle(term, indexTerm, fields) {
    if (term.exact !== term.folded) {
      return matchesExactly(term, indexTerm) && fields.indexOf("t") >= 0;
    }
    var found = term.prefix ? indexTerm.indexOf(term.folded) === 0 : indexTerm === term.folded;
    return found && (fields.indexOf("t") >= 0 || fields.indexOf("tf") >= 0);
  }

  function rounded(score) { return Math.floor(score * 1e6 + 0.5); }

  // [{ref, exact, score, title}], best first, as query.py's search(): pages with every word
  // in their title first, then by words matched as typed, then by score.
  function search(lunr, index, query) {
    var terms = plan(index, query);
    if (!terms.length) return [];
    var results = index.query(function (q) {
      terms.forEach(function (term) {
        var star = term.prefix ? "*" : "";
        q.term(term.folded + star, {
          fields: ALL_FIELDS, usePipeline: false, presence: lunr.Query.presence.REQUIRED
        });
        if (term.prefix) {
          // The whole word weighs more than the longer words it begins.
          q.term(term.folded, { fields: ALL_FIELDS, usePipeline: false, boost: WHOLE_WORD });
        }
        if (term.exact !== term.folded) {
          q.term(term.exact + star, { fields: EXACT_FIELDS, usePipeline: false });
        }
      });
    });
    var hits = results.map(function (result) {
      var metadata = result.matchData.metadata, exact = 0;
      terms.forEach(function (term) {
        var found = Object.keys(metadata).some(function (indexTerm) {
          return matchesExactly(term, indexTerm) && Object.keys(metadata[indexTerm]).some(
            function (field) { return EXACT_FIELDS.indexOf(field) >= 0; });
        });
        if (found) exact += 1;
      });
      var title = terms.every(function (term) {
        return Object.keys(metadata).some(function (indexTerm) {
          return inTitle(term, indexTerm, Object.keys(metadata[indexTerm]));
        });
      });
      return { ref: Number(result.ref), exact: exact, score: result.score, title: title };
    });
    hits.sort(function (a, b) {
      return (b.title - a.title) || (b.exact - a.exact) ||
        (rounded(b.score) - rounded(a.score)) || (a.ref - b.ref);
    });
    return hits;
  }

  // Inside a piece of text between spaces, the words as search splits them: "(règle" is "("
  // and "règle", "l'accès" is "l'" and "accès", "modérateurs:" is "modérateurs" and ":".
  var INNER = /([-\u2010-\u2015\u2212*'\u2018\u2019\u201b\u02bc\u2032\uff07`\u00b4])/;
  var CORE = /^([^\p{L}\p{N}]*)([\s\S]*?)([^\p{L}\p{N}]*)$/u;
  var SENTENCE_END = /[.!?:;…]$/;

  // A snippet of `text` around the first word the query found, as [text, isMatch] pieces in
  // which only the matched words are marks; the caller builds text nodes and <mark>s from
  // them, never HTML. A line break of the text (between a heading, a paragraph, a list item)
  // shows as " · " where no punctuation ends the line before it.
  function snippet(index, terms, text, size) {
    size = size || 30;
    var pieces = String(text).split(/(\s+)/);
    function isMatch(piece) {
      return words(piece).some(function (word) {
        var folded = index.pipeline.runString(fold(word))[0];
        if (!folded) return false;
        return terms.some(function (term) {
          return term.prefix ? folded.indexOf(term.folded) === 0 : folded === term.folded;
        });
      });
    }
    // [text, isMatch] parts of a word piece that matched: its words found, marked alone
    function split(piece) {
      var parts = piece.split(INNER), out = [], marked = false;
      parts.forEach(function (part, number) {
        var core = CORE.exec(part);
        if (number % 2 === 0 && core[2] && isMatch(core[2])) {
          out.push([core[1], false], [core[2], true], [core[3], false]);
          marked = true;
        } else {
          out.push([part, false]);
        }
      });
      if (!marked) {  // a word the separators split, as "aujourd'hui": marked whole
        var whole = CORE.exec(piece);
        out = [[whole[1], false], [whole[2], true], [whole[3], false]];
      }
      return out;
    }
    var first = -1;
    for (var i = 0; i < pieces.length && first < 0; i += 2) {
      if (isMatch(pieces[i])) first = i;
    }
    var start = first < 0 ? 0 : Math.max(0, first - size / 3 * 2);
    start -= start % 2;  // word pieces are at even positions
    var end = Math.min(pieces.length, start + size * 2);
    var out = [];
    function add(piece, match) {
      if (!piece) return;
      var last = out[out.length - 1];
      if (last && !last[1] && !match) last[0] += piece;
      else out.push([piece, match]);
    }
    if (start > 0) add("… ", false);
    for (var j = start; j < end; j++) {
      var piece = pieces[j];
      if (!piece) continue;
      if (j % 2 === 1) {
        var broken = piece.indexOf("\n") >= 0 && j > start && !SENTENCE_END.test(pieces[j - 1]);
        add(broken ? " · " : " ", false);
      } else if (isMatch(piece)) {
        split(piece).forEach(function (part) { add(part[0], part[1]); });
      } else {
        add(piece, false);
      }
    }
    if (end < pieces.length) add(" …", false);
    return out;
  }

  // Python's round(x, 3) (builder.py's scores): the decimal nearest to x's exact value, ties
  // to even. Away from a half, Math.round(x * 1000) rounds as well (x * 1000 is off by far
  // less than what separates it from the half); near one, toFixed is exact but breaks ties
  // upwards, and a tie is x = m/16 with m odd (the only halves of a thousandth a double
  // holds), made even by hand.
  function round3(x) {
    var scaled = x * 1000, whole = Math.floor(scaled);
    if (Math.abs(scaled - whole - 0.5) > 1e-6) return Math.round(scaled) / 1000;
    var n = Number(x.toFixed(3));
    var sixteenths = x * 16;
    if (Number.isInteger(sixteenths) && sixteenths % 2 !== 0) {
      var below = Math.floor(x * 1000);  // exact: x * 1000 is m * 62.5
      n = (below % 2 === 0 ? below : below + 1) / 1000;
    }
    return n;
  }

  // The serialized lunr index a search file's index stands for: the twin of index.py's
  // expand(). The file holds no field vectors (see index.py): each term's postings hold how
  // many times it is in each field of each document, and the scores are computed again as
  // builder.py's length_base() and score() compute them, to the same floats.
  // A posting's metadata: none is kept, and lunr only reads it (its keys, none here), so one
  // object serves every posting (index.py's builder does the same).
  var NO_METADATA = Object.freeze({});

  function expand(short) {
    var fields = short.fields, boosts = short.boosts, width = fields.length;
    var slots = short.documents * width;  // field vectors: document by document, field by field
    var lengths = new Float64Array(slots), sizes = new Int32Array(slots + 1);
    // every posting, term by term as the file lists them: its vector's slot and count
    var slotOf = [], tfOf = [], first = [], last = [], inverted = [];
    short.terms.forEach(function (row) {
      var posting = {}, start = slotOf.length;
      for (var f = 0; f < width; f++) {
        var items = row[2 + f], refs = {}, ref = -1;
        for (var i = 0; i < items.length; i++) {
          var step = items[i], tf = 1;
          if (step < 0) { step = -step; tf = items[++i]; }
          ref += step;
          refs[String(ref)] = NO_METADATA;
          var slot = ref * width + f;
          slotOf.push(slot);
          tfOf.push(tf);
          lengths[slot] += tf;
          sizes[slot + 1] += 1;
        }
        posting[fields[f]] = refs;
      }
      posting._index = row[1];  // last, as lunr writes it
      inverted.push([row[0], posting]);
      first[row[1]] = start;
      last[row[1]] = slotOf.length;
    });
    var average = fields.map(function (name, f) {
      var sum = 0;
      for (var s = f; s < slots; s += width) sum += lengths[s];
      return sum / (short.documents || 1);
    });
    for (var s = 0; s < slots; s++) sizes[s + 1] += sizes[s];  // where each vector starts
    var fill = sizes.slice(0, slots), numbers = new Int32Array(slotOf.length);
    var scores = new Float64Array(slotOf.length);
    for (var number = 0; number < first.length; number++) {  // each vector by term number
      var idf = short.idf[String(last[number] - first[number])];
      for (var p = first[number]; p < last[number]; p++) {
        var at = fill[slotOf[p]]++, tf = tfOf[p], field = slotOf[p] % width;
        var base = 1.2 * (1 - 0.75 + 0.75 * (lengths[slotOf[p]] / average[field]));  // length_base
        numbers[at] = number;
        scores[at] = round3(idf * (2.2 * tf) / (base + tf) * boosts[field]);  // score
      }
    }
    var vectors = [];
    for (var v = 0; v < slots; v++) {
      var flat = new Array(2 * (sizes[v + 1] - sizes[v])), n = 0;
      for (var q = sizes[v]; q < sizes[v + 1]; q++) {
        flat[n++] = numbers[q];
        flat[n++] = scores[q];
      }
      vectors.push([fields[v % width] + "/" + Math.floor(v / width), flat]);
    }
    return {
      version: short.version, fields: fields, fieldVectors: vectors,
      invertedIndex: inverted, pipeline: short.pipeline
    };
  }

  root.kbgenSearch = {
    expand: expand, round3: round3,
    trim: trim, words: words, normalize: normalize, fold: fold, stemFr: stemFr,
    register: register, plan: plan, search: search, snippet: snippet,
    EXACT_FIELDS: EXACT_FIELDS, ALL_FIELDS: ALL_FIELDS
  };
})(typeof self !== "undefined" ? self : this);

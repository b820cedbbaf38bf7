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

  function rounded(score) { return Math.floor(score * 1e6 + 0.5); }

  // What search() keeps of an index between queries: each field's vectors by page number,
  // whether the field is an exact one, and two scratch query vectors (the exact fields' and
  // the folded fields'), arrays by term number, all zero between queries.
  var prepared = new WeakMap();

  function prepare(index) {
    var found = prepared.get(index);
    if (found) return found;
    var terms = Object.keys(index.invertedIndex).length, vectors = {};
    index.fields.forEach(function (name) { vectors[name] = []; });
    Object.keys(index.fieldVectors).forEach(function (fieldRef) {
      var slash = fieldRef.indexOf("/");
      vectors[fieldRef.slice(0, slash)][Number(fieldRef.slice(slash + 1))] =
        index.fieldVectors[fieldRef].elements;
    });
    found = {
      fields: index.fields.map(function (name) {
        return { vectors: vectors[name], exact: EXACT_FIELDS.indexOf(name) >= 0 };
      }),
      documents: vectors[index.fields[0]].length,
      exact: new Float64Array(terms), folded: new Float64Array(terms)
    };
    prepared.set(index, found);
    return found;
  }

  // The index terms a clause's term stands for, as lunr expands it: "ba*" every term that
  // begins with "ba", else the term itself if the index holds it.
  function expansions(lunr, index, term) {
    return index.tokenSet.intersect(lunr.TokenSet.fromString(term)).toArray();
  }

  // Marks in `marks` the pages holding one of `terms` in one of `fields`.
  function mark(index, terms, fields, marks) {
    terms.forEach(function (term) {
      var posting = index.invertedIndex[term];
      fields.forEach(function (name) {
        for (var ref in posting[name]) marks[ref] = 1;
      });
    });
  }

  // The pages every word is in, scored as lunr.js's index.query() scores these clauses (it
  // was given them before): for each word, its folded term ("*" while typed) required in
  // any field; while typed, the whole word boosted; the exact term in the exact fields. A
  // field's query vector weighs each term by the boosts of the clauses that expand to it; a
  // page's score is the sum over its fields of the dot product of the field's vector with
  // the query vector (in term number order, as lunr's) over the query vector's magnitude.
  // Done here because lunr's own way is slow on thousands of pages: it unites the pages of
  // a prefix's expansions one by one into new sets, and walks the whole query vector (every
  // expansion) for each page's field instead of looking the page's own terms up in it.
  function run(lunr, index, terms) {
    var at = prepare(index), n = at.documents, touched = [], hits = [];
    var count = new Int32Array(n), seen = new Int32Array(n), exactIn = [], titleIn = [];
    function weigh(expanded, boost, exactOnly) {
      expanded.forEach(function (term) {
        var number = index.invertedIndex[term]._index;
        if (!exactOnly) at.folded[number] += boost;
        at.exact[number] += boost;
        touched.push(number);
      });
    }
    for (var t = 0; t < terms.length; t++) {
      var term = terms[t], star = term.prefix ? "*" : "";
      var folded = expansions(lunr, index, term.folded + star);
      if (!folded.length) break;  // a required word found nowhere: no page
      weigh(folded, 1, false);
      folded.forEach(function (word) {  // pages with the folded word in any field, once each
        var posting = index.invertedIndex[word];
        ALL_FIELDS.forEach(function (name) {
          for (var ref in posting[name]) {
            if (seen[ref] !== t + 1) { seen[ref] = t + 1; count[ref] += 1; }
          }
        });
      });
      // the whole word weighs more than the longer words it begins
      if (term.prefix) weigh(expansions(lunr, index, term.folded), WHOLE_WORD, false);
      var exact = term.exact === term.folded ? null : expansions(lunr, index, term.exact + star);
      if (exact) weigh(exact, 1, true);
      // Where the word is as typed, in an exact field: a word typed with accents matches
      // as a prefix while typed ("bạ" is on its way to "bạn"), one without only whole ("va"
      // must not favour "vai"). Where it is in a title: as typed if typed with accents ("bạn"
      // is not "bàn"), else in any accents ("ban" is both). As query.py's Term methods.
      exactIn.push(new Uint8Array(n));
      titleIn.push(new Uint8Array(n));
      mark(index, exact || folded.filter(function (word) { return word === term.exact; }),
        EXACT_FIELDS, exactIn[t]);
      mark(index, exact || folded, exact ? ["t"] : ["t", "tf"], titleIn[t]);
    }
    if (t < terms.length) { clear(at, touched); return []; }
    var magnitude = { exact: 0, folded: 0 };
    unique(touched).forEach(function (number) {  // summed in term number order, as lunr's
      magnitude.exact += at.exact[number] * at.exact[number];
      magnitude.folded += at.folded[number] * at.folded[number];
    });
    magnitude.exact = Math.sqrt(magnitude.exact);
    magnitude.folded = Math.sqrt(magnitude.folded);
    for (var ref = 0; ref < n; ref++) {
      if (count[ref] !== terms.length) continue;
      var score = 0;
      for (var f = 0; f < at.fields.length; f++) {
        var field = at.fields[f], elements = field.vectors[ref] || [], dot = 0;
        var query = field.exact ? at.exact : at.folded;
        for (var e = 0; e < elements.length; e += 2) {
          var boost = query[elements[e]];
          if (boost) dot += boost * elements[e + 1];
        }
        if (dot) score += dot / (field.exact ? magnitude.exact : magnitude.folded);
      }
      var exactCount = 0, title = true;
      for (var w = 0; w < terms.length; w++) {
        exactCount += exactIn[w][ref];
        if (!titleIn[w][ref]) title = false;
      }
      hits.push({ ref: ref, exact: exactCount, score: score, title: title, rank: rounded(score) });
    }
    clear(at, touched);
    return hits;
  }

  function unique(numbers) {
    var sorted = numbers.slice().sort(function (a, b) { return a - b; });
    return sorted.filter(function (x, i) { return i === 0 || x !== sorted[i - 1]; });
  }

  function clear(at, touched) {
    touched.forEach(function (number) { at.exact[number] = 0; at.folded[number] = 0; });
  }

  // [{ref, exact, score, title, rank}], best first, as query.py's search(): pages with every
  // word in their title first, then by words matched as typed, then by score.
  function search(lunr, index, query) {
    var terms = plan(index, query);
    if (!terms.length) return [];
    var hits = run(lunr, index, terms);
    hits.sort(function (a, b) {
      return (b.title - a.title) || (b.exact - a.exact) || (b.rank - a.rank) || (a.ref - b.ref);
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

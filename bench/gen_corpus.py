#!/usr/bin/env python3
"""Deterministic multilingual knowledge-base corpus for benchmarks and scale tests.

usage: gen_corpus.py --articles N [--langs en,fr,vi] [--missing 0.1] [--seed S] --out DIR

Writes DIR/content/<lang>/ in kbgen's layout:
  articles/<section>/_section.md       section title and weight
  articles/<section>/kb-NNNNN.md       N articles per language, 400-800 words each: headings, lists,
                                       a table, a code block, three links to other articles by
                                       their source path (../<section>/kb-NNNNN.md)
  faq/faq-NNNN.md                      N/5 FAQ entries (title = question, body = answer)
  replies/reply-NN.md                  5 reply templates with [placeholders]
  rules.md                             the community rules page, 25 numbered rules
The same seed gives byte-identical files. Translations share their path. In every language but
the first, a fraction --missing of the articles is left untranslated (the same ones each run).
--layout hugo writes the same text as a Hugo site's content (one contentDir per language).
"""

import argparse
import datetime as dt
import os
import random

WORDS = {
    "en": """account access address answer application article backup balance billing browser
cache card change check client code column command community configure connection
contact content copy create customer dashboard data database date default delete
device document domain download email enable error event export feature field file
filter folder form format group guide help history home import install invoice issue
item key language level library license limit link list log login manage member
message method migrate mobile module network notification number option order owner
package page password payment permission phone plan policy preference price privacy
profile project question queue record refund region release report request reset
response restore result role rule schedule search secure server service session
setting share size source status storage subscription support sync system table
team template ticket time token tool transfer update upgrade upload user value
version view warning website window workspace quickly easily always never usually
simply safely automatically manually correctly new old main current available
required optional private public shared local remote secure important useful""".split(),
    "fr": """accès adresse réponse application article sauvegarde solde facturation navigateur
mémoire carte modification vérification client code colonne commande communauté
configurer connexion contact contenu copie créer données base date défaut supprimer
appareil document domaine télécharger courriel activer erreur événement exporter
fonctionnalité champ fichier filtre dossier formulaire format groupe guide aide
historique accueil importer installer facture problème élément clé langue niveau
bibliothèque licence limite lien liste journal identifiant gérer membre message
méthode migrer mobile module réseau notification numéro option commande propriétaire
paquet page mot passe paiement autorisation téléphone forfait politique préférence
prix confidentialité profil projet question file enregistrement remboursement région
version rapport requête réinitialiser réponse restaurer résultat rôle règle
planifier recherche sécurisé serveur service séance paramètre partager taille
source état stockage abonnement assistance synchroniser système tableau équipe
modèle ticket temps jeton outil transfert mise jour téléverser utilisateur valeur
affichage avertissement fenêtre espace travail rapidement facilement toujours jamais
généralement simplement automatiquement manuellement correctement nouveau ancien
principal actuel disponible obligatoire facultatif privé public partagé local distant
sécurité important utile être avoir où déjà très après même français élève
hôtel forêt naïf garçon cœur œuvre âge là déçu noël reçu fête intérêt""".split(),
    "vi": """tài khoản truy cập địa chỉ câu trả lời ứng dụng bài viết sao lưu số dư thanh toán
trình duyệt bộ nhớ thẻ thay đổi kiểm tra khách hàng mã cột lệnh cộng đồng cấu hình
kết nối liên hệ nội dung sao chép tạo dữ liệu cơ sở ngày mặc định xóa thiết bị tài liệu
tên miền tải xuống thư điện tử bật lỗi sự kiện xuất tính năng trường tệp bộ lọc thư mục
biểu mẫu định dạng nhóm hướng dẫn trợ giúp lịch sử trang chủ nhập cài đặt hóa đơn vấn đề
mục khóa ngôn ngữ cấp độ thư viện giấy phép giới hạn liên kết danh sách nhật ký đăng nhập
quản lý thành viên tin nhắn phương pháp di chuyển di động mô đun mạng thông báo số
tùy chọn đơn hàng chủ sở hữu gói trang mật khẩu quyền điện thoại kế hoạch chính sách
giá riêng tư hồ sơ dự án câu hỏi hàng đợi bản ghi hoàn tiền khu vực phát hành báo cáo
yêu cầu đặt lại phản hồi khôi phục kết quả vai trò quy tắc lịch tìm kiếm an toàn máy chủ
dịch vụ phiên thiết lập chia sẻ kích thước nguồn trạng thái lưu trữ đăng ký hỗ trợ đồng bộ
hệ thống bảng đội mẫu vé thời gian công cụ chuyển cập nhật nâng cấp tải lên người dùng
giá trị phiên bản xem cảnh báo cửa sổ không gian làm việc nhanh chóng dễ dàng luôn luôn
không bao giờ thường xuyên đơn giản tự động thủ công chính xác mới cũ chính hiện tại
có sẵn bắt buộc tùy chọn công khai cục bộ từ xa quan trọng hữu ích của và là được các
những cho với trong này một người khi đã sẽ để từ theo như""".split(),
}
# Vietnamese list above is syllables; glue 1-2 syllables per "word" for realism.
CONNECT = {
    "en": ["the", "a", "to", "of", "and", "in", "for", "with", "your", "is", "on", "you", "can"],
    "fr": [
        "le",
        "la",
        "les",
        "un",
        "une",
        "de",
        "des",
        "du",
        "et",
        "à",
        "pour",
        "avec",
        "votre",
        "est",
        "dans",
        "vous",
        "pouvez",
    ],
    "vi": ["của", "và", "là", "được", "các", "cho", "với", "trong", "này", "một", "bạn", "có thể"],
}
HEADINGS = {
    "en": [
        "Overview",
        "Before you start",
        "Steps",
        "Troubleshooting",
        "Limitations",
        "Related settings",
        "Examples",
        "Notes",
    ],
    "fr": [
        "Présentation",
        "Avant de commencer",
        "Étapes",
        "Dépannage",
        "Limitations",
        "Paramètres associés",
        "Exemples",
        "Remarques",
    ],
    "vi": [
        "Tổng quan",
        "Trước khi bắt đầu",
        "Các bước",
        "Khắc phục sự cố",
        "Giới hạn",
        "Cài đặt liên quan",
        "Ví dụ",
        "Ghi chú",
    ],
}
TABLE_HEAD = {
    "en": ("Option", "Value", "Description"),
    "fr": ("Option", "Valeur", "Description"),
    "vi": ("Tùy chọn", "Giá trị", "Mô tả"),
}
RULES_TITLE = {"en": "Community rules", "fr": "Règles de la communauté", "vi": "Quy tắc cộng đồng"}
FAQ_TITLE = {
    "en": "Frequently asked questions",
    "fr": "Questions fréquentes",
    "vi": "Câu hỏi thường gặp",
}
ARTICLES_TITLE = {"en": "Articles", "fr": "Articles", "vi": "Bài viết"}
CATEGORIES = ["account", "billing", "security", "integrations", "mobile", "api", "data", "admin"]
TAGS = [
    "howto",
    "troubleshooting",
    "reference",
    "beginner",
    "advanced",
    "faq",
    "policy",
    "export",
    "import",
    "sso",
    "2fa",
    "webhooks",
    "sync",
    "android",
    "ios",
    "desktop",
]
CODE_SNIPPETS = [
    (
        "bash",
        "curl -X POST https://api.example.com/v1/{k} \\\n  -H 'Authorization: Bearer $TOKEN' \\\n  -d '{{\"enabled\": true}}'",
    ),
    (
        "python",
        'import requests\n\nresp = requests.get("https://api.example.com/v1/{k}", timeout=10)\nresp.raise_for_status()\nprint(resp.json()["status"])',
    ),
    ("json", '{{\n  "id": "{k}",\n  "enabled": true,\n  "retries": 3\n}}'),
    ("yaml", "service:\n  name: {k}\n  replicas: 2\n  region: eu-west-1"),
]


def words(rng, lang, n):
    wl, cl = WORDS[lang], CONNECT[lang]
    out = []
    for _ in range(n):
        if rng.random() < 0.3:
            out.append(rng.choice(cl))
        elif lang == "vi" and rng.random() < 0.6:
            out.append(rng.choice(wl) + " " + rng.choice(wl))
        else:
            out.append(rng.choice(wl))
    return out


def sentence(rng, lang, lo=8, hi=18):
    w = words(rng, lang, rng.randint(lo, hi))
    s = " ".join(w)
    return s[0].upper() + s[1:] + "."


def paragraph(rng, lang, ns=None):
    return " ".join(sentence(rng, lang) for _ in range(ns or rng.randint(2, 5)))


def title(rng, lang):
    s = " ".join(words(rng, lang, rng.randint(3, 7)))
    return s[0].upper() + s[1:]


def article_body(rng, lang, key, n, i):
    target = rng.randint(400, 800)
    heads = rng.sample(HEADINGS[lang], 5)
    links = [rng.randrange(n) for _ in range(3)]
    links = [(l + 1) % n if l == i and n > 1 else l for l in links]
    lang_, code = rng.choice(CODE_SNIPPETS)
    th = TABLE_HEAD[lang]
    parts = [paragraph(rng, lang)]
    wc = len(parts[0].split())
    sec = 0
    placed = set()
    while wc < target or len(placed) < 4:
        h = heads[sec % len(heads)] + ("" if sec < len(heads) else f" {sec}")
        parts.append(f"## {h}")
        p = paragraph(rng, lang)
        parts.append(p)
        wc += len(p.split()) + 2
        if "list" not in placed:
            items = [
                " ".join(words(rng, lang, rng.randint(4, 9))) for _ in range(rng.randint(3, 6))
            ]
            parts.append("\n".join(f"- {it}" for it in items))
            steps = [sentence(rng, lang, 5, 10) for _ in range(rng.randint(3, 5))]
            parts.append("\n".join(f"{k + 1}. {s}" for k, s in enumerate(steps)))
            wc += sum(len(x.split()) for x in items + steps)
            placed.add("list")
        elif "table" not in placed:
            rows = [f"| {th[0]} | {th[1]} | {th[2]} |", "| --- | --- | --- |"]
            for _ in range(rng.randint(3, 6)):
                rows.append(
                    f"| `{rng.choice(WORDS['en'])}_{rng.randint(1, 99)}` | {rng.randint(0, 1000)} | {' '.join(words(rng, lang, rng.randint(3, 8)))} |"
                )
            parts.append("\n".join(rows))
            wc += 30
            placed.add("table")
        elif "code" not in placed:
            parts.append(f"```{lang_}\n{code.format(k=key)}\n```")
            placed.add("code")
        elif "links" not in placed:
            ls = []
            for l in links:
                ls.append(
                    f"[{' '.join(words(rng, lang, 3))}](../{CATEGORIES[l % len(CATEGORIES)]}/kb-{l:05d}.md)"
                )
            parts.append(f"{sentence(rng, lang, 4, 8)} " + ", ".join(ls) + ".")
            wc += 15
            placed.add("links")
        sec += 1
    return "\n\n".join(parts) + "\n"


def yaml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def page(meta, body):
    lines = ["---"]
    for k, v in meta.items():
        if isinstance(v, list):
            lines.append(f"{k}: [" + ", ".join(v) + "]")
        elif isinstance(v, (int, dt.date)):
            lines.append(f"{k}: {v}")
        else:
            lines.append(f"{k}: {yaml_str(str(v))}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


SECTION_TITLES = {
    "en": [
        "Account",
        "Billing",
        "Security",
        "Integrations",
        "Mobile",
        "API",
        "Data",
        "Administration",
    ],
    "fr": [
        "Compte",
        "Facturation",
        "Sécurité",
        "Intégrations",
        "Mobile",
        "API",
        "Données",
        "Administration",
    ],
    "vi": [
        "Tài khoản",
        "Thanh toán",
        "Bảo mật",
        "Tích hợp",
        "Di động",
        "API",
        "Dữ liệu",
        "Quản trị",
    ],
}
REPLY = {
    "en": "Hello [user's name]! Thank you for starting this discussion about [topic]. {s}",
    "fr": "Bonjour [nom de l'utilisateur] ! Merci d'avoir lancé cette discussion sur [sujet]. {s}",
    "vi": "Xin chào [tên người dùng]! Cảm ơn bạn đã bắt đầu thảo luận về [chủ đề]. {s}",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, required=True)
    ap.add_argument("--langs", default="en,fr,vi")
    ap.add_argument("--missing", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument("--layout", default="kbgen", choices=["kbgen", "hugo"])
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    langs, n = a.langs.split(","), a.articles
    root = os.path.join(a.out, "content")
    base = dt.date(2020, 1, 1)
    files = 0
    for lang in langs:
        for k, sec in enumerate(CATEGORIES):
            name = "_index.md" if a.layout == "hugo" else "_section.md"
            write(
                os.path.join(root, lang, "articles", sec, name),
                page(
                    {"title": SECTION_TITLES.get(lang, SECTION_TITLES["en"])[k], "weight": k + 1},
                    "",
                ),
            )
            files += 1
    for i in range(n):
        key = f"kb-{i:05d}"
        meta_rng = random.Random(f"{a.seed}-meta-{i}")
        sec = CATEGORIES[i % len(CATEGORIES)]
        tags = sorted(meta_rng.sample(TAGS, meta_rng.randint(1, 4)))
        missing = meta_rng.random() < a.missing
        for li, lang in enumerate(langs):
            if li > 0 and missing:
                continue
            rng = random.Random(f"{a.seed}-{lang}-{i}")
            meta = {
                "title": title(rng, lang),
                "description": sentence(rng, lang, 8, 14),
                "tags": tags,
                "date": base + dt.timedelta(days=i % 2000),
                "weight": i,
            }
            write(
                os.path.join(root, lang, "articles", sec, key + ".md"),
                page(meta, article_body(rng, lang, key, n, i)),
            )
            files += 1
    for j in range(max(1, n // 5)):
        for lang in langs:
            rng = random.Random(f"{a.seed}-{lang}-faq-{j}")
            q = " ".join(words(rng, lang, rng.randint(5, 10)))
            write(
                os.path.join(root, lang, "faq", f"faq-{j:04d}.md"),
                page(
                    {"title": q[0].upper() + q[1:] + "?", "weight": j},
                    paragraph(rng, lang, rng.randint(2, 5)) + "\n",
                ),
            )
            files += 1
    for j in range(5):
        for lang in langs:
            rng = random.Random(f"{a.seed}-{lang}-reply-{j}")
            write(
                os.path.join(root, lang, "replies", f"reply-{j:02d}.md"),
                page(
                    {"title": title(rng, lang)},
                    REPLY.get(lang, REPLY["en"]).format(s=paragraph(rng, lang)) + "\n",
                ),
            )
            files += 1
    for lang in langs:
        rng = random.Random(f"{a.seed}-{lang}-rules")
        rules = [
            f"{k + 1}. **{' '.join(words(rng, lang, 3))}**: {sentence(rng, lang)}"
            for k in range(25)
        ]
        write(
            os.path.join(root, lang, "rules.md"),
            page(
                {"title": RULES_TITLE.get(lang, RULES_TITLE["en"])},
                paragraph(rng, lang) + "\n\n" + "\n".join(rules) + "\n",
            ),
        )
        files += 1
    print(f"wrote {files} files under {root} ({n} articles per language, {len(langs)} languages)")


if __name__ == "__main__":
    main()

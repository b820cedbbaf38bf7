"""A knowledge base written for the search tests: pages whose words test folding, ranking,
elisions and stemming in French, Vietnamese and English, with filler pages around them so
that scores come from a realistic index (more than 60 pages in all)."""

from __future__ import annotations

import random
from pathlib import Path

SECTIONS = {
    "fr": {"compte": "Compte", "communaute": "Communauté"},
    "vi": {"compte": "Tài khoản", "communaute": "Cộng đồng"},
    "en": {"compte": "Account", "communaute": "Community"},
}

# (section, slug, title, body)
ARTICLES = {
    "vi": [
        (
            "communaute",
            "ban-be",
            "Kết nối với bạn bè",
            "Bạn có thể mời bạn của mình tham gia. Mỗi người nhận được lời mời qua thư.",
        ),
        (
            "compte",
            "ban-lam-viec",
            "Chọn bàn làm việc",
            "Đặt bàn làm việc ở văn phòng. Một cái bàn gỗ rộng giúp làm việc thoải mái.",
        ),
        (
            "compte",
            "ban-hang",
            "Bán hàng trực tuyến",
            "Cách bán sản phẩm trên cửa hàng. Người bán cần xác nhận đơn hàng.",
        ),
        (
            "communaute",
            "ban-quan-tri",
            "Ban quản trị",
            "Ban quản trị gồm các thành viên điều hành cộng đồng.",
        ),
        (
            "communaute",
            "co-so-tri-thuc",
            "Cơ sở tri thức là gì?",
            "Cơ sở tri thức tập hợp các bài viết hướng dẫn. Hãy tìm trong cơ sở tri thức "
            "trước khi hỏi.",
        ),
        (
            "communaute",
            "dien-dan",
            "Diễn đàn cộng đồng",
            "Diễn đàn là nơi khách hàng trao đổi. Hãy đọc quy tắc của diễn đàn.",
        ),
        (
            "compte",
            "ngay-gio",
            "Đổi ngày và giờ",
            "Ngày này có thể thay đổi. Vậy máy tính của bạn cần đồng bộ ngày giờ.",
        ),
        (
            "compte",
            "dang-nhap",
            "Đăng nhập vào tài khoản",
            "Đăng nhập bằng địa chỉ thư điện tử và mật khẩu. Nếu quên mật khẩu, hãy đặt lại.",
        ),
        (
            "compte",
            "may-in",
            "Cài đặt máy in",
            "Máy in cần kết nối mạng. Kiểm tra máy in trước khi in tài liệu.",
        ),
        # a title of very common syllables ("dau vao" folded), and a long page repeating them
        ("compte", "dau-vao", "Dữ liệu đầu vào", "Nhập tệp tin từ máy tính."),
        (
            "communaute",
            "chia-se",
            "Chia sẻ trong nhóm",
            " ".join(
                ["Đầu tiên, vào trang nhóm. Bấm vào dấu cộng ở đầu danh sách, rồi vào mục mới."] * 6
            )
            + " Mã mời có dạng dau-vao-123.",
        ),
    ],
    "fr": [
        (
            "communaute",
            "regles",
            "Les règles de la communauté",
            "Respectez les règles. Chaque règle protège les membres.",
        ),
        (
            "compte",
            "ete",
            "Horaires d’été",
            "L’été, le service client ouvre de 9\u00a0h à 17\u00a0h. Qu’il pleuve ou non, "
            "l’équipe répond.",
        ),
        (
            "communaute",
            "base",
            "Qu’est-ce qu’une base de connaissances\u202f?",
            "Une base de connaissances rassemble des guides. Consultez la base avant de poser "
            "une question.",
        ),
        (
            "compte",
            "mot-de-passe",
            "Mot de passe oublié",
            "Réinitialisez votre mot de passe depuis la page de connexion.",
        ),
        (
            "compte",
            "parametres",
            "Paramètres du compte",
            "Modifiez les paramètres et les préférences de votre compte.",
        ),
        (
            "compte",
            "securite",
            "Sécurité et confidentialité",
            "La sécurité de vos données est importante. Activez la double authentification.",
        ),
        (
            "compte",
            "email",
            "Changer d’adresse e-mail",
            "Votre adresse e-mail sert à la connexion. Le courriel de confirmation arrive vite.",
        ),
        (
            "communaute",
            "forum",
            "Participer au forum",
            "Le forum accueille les questions. Les modérateurs y appliquent les règles.",
        ),
        (
            "compte",
            "journaux",
            "Journaux d’activité",
            "Chaque journal enregistre les connexions à votre compte.",
        ),
        (
            "compte",
            "noel",
            "Fermeture à Noël",
            "Le service est fermé à Noël et le premier janvier.",
        ),
        ("communaute", "coeur", "Le cœur du produit", "Ce qui compte le plus pour nos clients."),
    ],
    "en": [
        (
            "compte",
            "display",
            "Display settings",
            "Change how the display shows text. The display follows your system settings.",
        ),
        ("compte", "keys", "API keys", "Create one key for each app. Rotate your keys every year."),
        (
            "communaute",
            "days",
            "Working days",
            "Support answers every day of the week. On busy days replies may take longer.",
        ),
        (
            "compte",
            "arrays",
            "Arrays in templates",
            "An array holds a list of values. Use arrays for repeated fields.",
        ),
        (
            "compte",
            "password",
            "Reset your password",
            "Forgot your password? Reset it from the sign-in page.",
        ),
        (
            "compte",
            "billing",
            "Billing and invoices",
            "Invoices are sent each month. Billing questions go to the billing team.",
        ),
        (
            "compte",
            "email",
            "Change your e-mail address",
            "Your e-mail address is used to sign in.",
        ),
        (
            "communaute",
            "happy",
            "Happy customers",
            "Happiness grows when answers are easy to find.",
        ),
        ("communaute", "cafe", "Café opening hours", "The café opens at nine."),
    ],
}

FAQ = {
    "fr": [("inscription", "Comment créer un compte ?", "Remplissez le formulaire d’inscription.")],
    "vi": [("dang-ky", "Làm sao để tạo tài khoản?", "Điền vào biểu mẫu đăng ký.")],
    "en": [("sign-up", "How do I create an account?", "Fill in the sign-up form.")],
}

FILLER = {
    "fr": "système mise jour version application téléphone notification historique facture "
    "paiement forfait service client assistance technique fichier dossier sauvegarde "
    "restauration équipe réseau serveur stockage",
    "vi": "hệ thống cập nhật ứng dụng điện thoại thông báo lịch sử hóa đơn thanh toán gói "
    "dịch vụ khách hàng hỗ trợ kỹ thuật tệp tin thư mục sao lưu khôi phục mạng",
    "en": "system update version application phone notification history payment plan "
    "service customer support technical file folder backup restore network server storage",
}
FILLER_ARTICLES = 14
FILLER_FAQ = 3


def _page(path: Path, title: str, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    quoted = title.replace('"', '\\"')
    path.write_text(f'---\ntitle: "{quoted}"\n---\n\n{body}\n', encoding="utf-8")


def _filler(rng: random.Random, lang: str, sentences: int) -> str:
    vocabulary = FILLER[lang].split()
    lines = []
    for _ in range(sentences):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(6, 14))]
        lines.append(" ".join(words).capitalize() + ".")
    return " ".join(lines)


def write_corpus(root: Path) -> Path:
    """Write config.yaml and content/ under `root`; return the config path."""
    config = root / "config.yaml"
    config.write_text(
        "title: Search test\nlanguages: [fr, vi, en]\nfallback: none\n"
        "search:\n  include_replies: false\n",
        encoding="utf-8",
    )
    rng = random.Random(20261123)
    for lang in ("fr", "vi", "en"):
        content = root / "content" / lang
        for folder, title in SECTIONS[lang].items():
            _page(content / "articles" / folder / "_section.md", title, "")
        for folder, slug, title, body in ARTICLES[lang]:
            _page(content / "articles" / folder / f"{slug}.md", title, body)
        for number in range(FILLER_ARTICLES):
            body = "## " + _filler(rng, lang, 1).rstrip(".") + "\n\n" + _filler(rng, lang, 8)
            title = _filler(rng, lang, 1).rstrip(".")
            _page(content / "articles" / "compte" / f"filler-{number:02}.md", title, body)
        for slug, title, body in FAQ[lang]:
            _page(content / "faq" / f"{slug}.md", title, body)
        for number in range(FILLER_FAQ):
            title = _filler(rng, lang, 1).rstrip(".") + "?"
            _page(content / "faq" / f"filler-{number}.md", title, _filler(rng, lang, 3))
        rules = "\n".join(f"{n}. {_filler(rng, lang, 1)}" for n in range(1, 6))
        _page(content / "rules.md", SECTIONS[lang]["communaute"], rules)
    return config

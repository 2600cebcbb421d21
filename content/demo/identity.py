"""The demo district's site identity (站点标识): what a real district would enter under
设置 → 站点标识. The filing numbers and the contact line are made up and say so (示例)."""

from __future__ import annotations

from wagtail.models import Site

from content.demo import vocab
from content.site_settings import SiteIdentity

DEMO_IDENTITY = {
    "platform_name": f"{vocab.DISTRICT_NAME}人大代表联络站",
    "organiser": f"{vocab.DISTRICT_NAME}人大常委会",
    "operator": f"{vocab.DISTRICT_NAME}人大常委会代表工作委员会",
    "icp_number": "浙ICP备00000000号（示例）",
    "police_number": f"浙公网安备{vocab.DISTRICT_DIVISION_CODE}00000000号（示例）",
    "phone": f"{vocab.PHONE_AREA}-87000000",
    "address": f"{vocab.CITY_NAME}{vocab.DISTRICT_NAME}解放东路18号（示例地址）",
    "email": "lianluo@shangcheng.example",
}


def fill_site_identity(progress) -> SiteIdentity | None:
    """Fill the default site's identity where it is still empty (what an admin changed stays)."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return None
    identity, _ = SiteIdentity.objects.get_or_create(site=site)
    changed = [name for name, value in DEMO_IDENTITY.items() if not getattr(identity, name)]
    for name in changed:
        setattr(identity, name, DEMO_IDENTITY[name])
    if changed:
        identity.save(update_fields=changed)
    progress(f"站点标识 Site identity: {identity.name}（{identity.organiser}）")
    return identity

"""What a Chinese government site names in its header and footer (站点标识): the platform's
name, the organiser (主办单位), its logo, the ICP and 公安 filing numbers, a contact line and
the accessibility statement. One row per Wagtail site, edited by the district admin under
设置 → 站点标识; every public page reads it once per request (`identity_for_request`).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Case, IntegerField, Q, When
from django.http.request import split_domain_port

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.images import get_image_model_string
from wagtail.models import Site
from wagtail.models.sites import MATCH_DEFAULT, MATCH_HOSTNAME, MATCH_HOSTNAME_DEFAULT, MATCH_HOSTNAME_PORT

from base.prepared import prepared

# The Ministry of Industry and Information Technology's filing system: every ICP number
# links here (the ministry asks sites to), and the Ministry of Public Security's, which
# looks a 公安 record up by its digits.
ICP_LOOKUP_URL = "https://beian.miit.gov.cn/"
POLICE_LOOKUP_URL = "https://beian.mps.gov.cn/#/query/webSearch?code={code}"


@register_setting(icon="site")
class SiteIdentity(BaseSiteSetting):
    platform_name = models.CharField(
        "平台名称",
        max_length=60,
        blank=True,
        help_text="显示在页眉、浏览器标题和后台，例如：上城区人大代表联络站。留空则使用系统默认名称。",
    )
    organiser = models.CharField(
        "主办单位", max_length=80, blank=True, help_text="显示在页眉和页脚，例如：上城区人大常委会。"
    )
    operator = models.CharField(
        "承办单位", max_length=80, blank=True, help_text="可不填，例如：上城区人大常委会代表工作委员会。"
    )
    logo = models.ForeignKey(
        get_image_model_string(),
        verbose_name="标志",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="页眉左侧的标志（人大徽或本区标志），建议使用正方形、透明底的图片；不上传则使用平台默认标志。",
    )
    icp_number = models.CharField(
        "ICP备案号",
        max_length=40,
        blank=True,
        help_text="例如：浙ICP备12345678号-1。页脚显示，并链接到工业和信息化部备案管理系统。",
    )
    police_number = models.CharField(
        "公安备案号",
        max_length=40,
        blank=True,
        help_text="例如：浙公网安备33010202000001号。页脚显示，并链接到全国互联网安全管理服务平台。",
    )
    phone = models.CharField("联系电话", max_length=40, blank=True, help_text="例如：0571-87000000")
    address = models.CharField("联系地址", max_length=120, blank=True)
    email = models.EmailField("联系邮箱", blank=True)
    accessibility_statement = RichTextField(
        "无障碍声明",
        blank=True,
        features=["h3", "bold", "ol", "ul", "link"],
        help_text="显示在“无障碍声明”页面（页脚链接）。留空则显示平台的默认声明。",
    )

    # The logo comes with the row: one query for the whole header and footer.
    select_related = ["logo"]

    panels = [
        MultiFieldPanel(
            [FieldPanel("platform_name"), FieldPanel("organiser"), FieldPanel("operator"), FieldPanel("logo")],
            heading="名称与标志",
        ),
        MultiFieldPanel([FieldPanel("icp_number"), FieldPanel("police_number")], heading="备案信息"),
        MultiFieldPanel([FieldPanel("phone"), FieldPanel("address"), FieldPanel("email")], heading="联系方式"),
        FieldPanel("accessibility_statement"),
    ]

    class Meta:
        verbose_name = "站点标识"
        verbose_name_plural = "站点标识"

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        """The platform's name: the one set here, or the deployment's default."""
        return self.platform_name.strip() or settings.WAGTAIL_SITE_NAME

    @property
    def icp_url(self) -> str:
        return ICP_LOOKUP_URL

    @property
    def police_url(self) -> str:
        """The record's page on the national filing site, found by the number's digits."""
        code = "".join(re.findall(r"\d", self.police_number))
        return POLICE_LOOKUP_URL.format(code=code) if code else ""

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.address or self.email)


def identity_for_request(request) -> SiteIdentity:
    """The request's site identity, at most one query per request, kept on the request where
    Wagtail's own `settings` context processor looks for it too.

    On a page, Wagtail has already found the request's site: one query reads the identity
    (logo joined in). Elsewhere (deputy pages, search, the admin) one query finds the site
    and its identity together, the way Wagtail's `Site.find_for_request` picks the site, and
    leaves the site on the request for Wagtail to reuse.

    Unlike `SiteIdentity.for_request` it never writes: a site without a saved row gets an
    unsaved one holding the defaults, so a GET (a public page, or an admin screen that shows
    the name) changes nothing in the database.
    """
    attr = SiteIdentity.get_cache_attr_name()
    identity = getattr(request, attr, None)
    if identity is not None:
        return identity
    if hasattr(request, "_wagtail_site"):
        site = request._wagtail_site
        identity = SiteIdentity.base_queryset().filter(site=site).first() if site is not None else None
    else:
        site = _site_with_identity(request)
        request._wagtail_site = site
        identity = getattr(site, "siteidentity", None) if site is not None else None
    if identity is None:
        identity = SiteIdentity(site=site) if site is not None else SiteIdentity()
    identity._request = request
    setattr(request, attr, identity)
    return identity


def site_candidates(hostname: str, port: int):
    """The sites a request to `hostname:port` may belong to, best first, as Wagtail's
    `Site.find_for_request` ranks them (wagtail.models.sites.get_site_for_hostname)."""
    return (
        Site.objects.annotate(
            match=Case(
                When(hostname=hostname, port=port, then=MATCH_HOSTNAME_PORT),
                When(hostname=hostname, is_default_site=True, then=MATCH_HOSTNAME_DEFAULT),
                When(is_default_site=True, then=MATCH_DEFAULT),
                default=MATCH_HOSTNAME,
                output_field=IntegerField(),
            )
        )
        .filter(Q(hostname=hostname) | Q(is_default_site=True))
        .order_by("match", "pk")
    )


def choose_site(sites: list) -> Site | None:
    """Wagtail's choice among `site_candidates`: the hostname with the port, then the hostname
    of the default site, then the default site unless exactly one other site has the hostname."""
    if not sites:
        return None
    if len(sites) == 1 or sites[0].match in (MATCH_HOSTNAME_PORT, MATCH_HOSTNAME_DEFAULT):
        return sites[0]
    if sites[0].match == MATCH_DEFAULT:
        return sites[len(sites) == 2]
    return None


def request_host_port(request) -> tuple[str, int] | None:
    """The hostname and port Wagtail matches sites on; None when the port is not a number."""
    port = request.get_port()
    if not str(port).isdigit():
        return None
    return split_domain_port(request._get_raw_host())[0], int(port)


@prepared
def _sites_with_identity(hostname, port):
    return site_candidates(hostname, port).select_related("root_page", "siteidentity__logo")


def _site_with_identity(request) -> Site | None:
    """`Site.find_for_request`'s choice, with the site's identity and logo read in the same
    (prepared) query."""
    host_port = request_host_port(request)
    if host_port is None:
        return Site.find_for_request(request)  # Wagtail's own answer, whatever it is
    return choose_site(_sites_with_identity(*host_port))

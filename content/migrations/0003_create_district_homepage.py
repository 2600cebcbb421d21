from django.db import migrations

NINE_STANDARDS = [
    ("有固定场所", "独立或共享的固定接待场所，标识醒目"),
    ("有统一标识", "统一挂牌，亮明站点名称"),
    ("有工作制度", "接待、学习、活动、督办等制度上墙"),
    ("有进站代表", "代表编组进站，信息公开上墙"),
    ("有活动计划", "年度、月度活动计划"),
    ("有接待安排", "固定接待日，公开接待时间与值班代表"),
    ("有工作台账", "接待登记、意见办理、活动记录"),
    ("有办理反馈", "群众意见受理、交办、答复、反馈闭环"),
    ("有经费保障", "日常运行经费有保障"),
]


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    Locale = apps.get_model("wagtailcore.Locale")
    HomePage = apps.get_model("content.HomePage")
    Facility = apps.get_model("content.Facility")

    # Replace Wagtail's placeholder "Welcome" page with the district portal.
    page_type = ContentType.objects.get(model="page", app_label="wagtailcore")
    Page.objects.filter(content_type=page_type, depth=2).delete()
    root = Page.objects.get(depth=1)

    home_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="content")
    locale = Locale.objects.order_by("pk").first()
    home = HomePage.objects.create(
        title="区人大代表联络站",
        draft_title="区人大代表联络站",
        slug="home",
        content_type=home_type,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=locale,
        intro="<p>家门口的人大代表联络站：找代表、看接待日、提意见。</p>",
    )
    root.numchild = Page.objects.filter(depth=2).count()
    root.save(update_fields=["numchild"])
    Site.objects.all().delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="区人大代表联络站")

    for order, (name, description) in enumerate(NINE_STANDARDS):
        Facility.objects.get_or_create(name=name, defaults={"description": description, "sort_order": order})


def remove_homepage(apps, schema_editor):
    apps.get_model("content.HomePage").objects.filter(depth=2, slug="home").delete()


class Migration(migrations.Migration):
    dependencies = [("content", "0002_initial"), ("wagtailcore", "0001_initial")]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]

"""StreamField blocks for 一站一品 stories and activity write-ups."""

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock


class ImageWithCaptionBlock(blocks.StructBlock):
    image = ImageChooserBlock(label="图片")
    alt_text = blocks.CharBlock(label="替代文字", help_text="供读屏软件朗读，描述图片内容", max_length=120)
    caption = blocks.CharBlock(label="图片说明", required=False, max_length=120)

    class Meta:
        icon = "image"
        label = "图片"
        template = "content/blocks/image.html"


class OutcomeBlock(blocks.StructBlock):
    figure = blocks.CharBlock(label="数字", max_length=20, help_text="例如：126件")
    label = blocks.CharBlock(label="成效说明", max_length=60, help_text="例如：解决群众急难愁盼问题")

    class Meta:
        icon = "tick"
        label = "成效数字"
        template = "content/blocks/outcome.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label="引语")
    attribution = blocks.CharBlock(label="出处", required=False, max_length=60)

    class Meta:
        icon = "openquote"
        label = "引语"
        template = "content/blocks/quote.html"


class StoryBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label="小标题", form_classname="title", template="content/blocks/heading.html")
    paragraph = blocks.RichTextBlock(label="段落", features=["bold", "italic", "link", "ol", "ul"])
    image = ImageWithCaptionBlock()
    outcome = OutcomeBlock()
    quote = QuoteBlock()

    class Meta:
        label = "内容"

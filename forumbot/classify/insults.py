"""Words that insult whoever they are said to, in any topic: the net under the model.

The model learns insults from examples, and real insults keep finding new company for their
words (a debate about marriage, a game, a fan war), where it reads the topic and says
"unrelated". A post with nothing for the company to act on that calls someone 傻逼, 脑残,
贱种 or 舔狗 is an insult whatever else it talks about, and a missed insult stays on the
forum. The list holds only words with no everyday harmless sense ("狗", "垃圾", "小丑鱼",
"2b铅笔" are not in it, or are excluded by context). It is applied only to posts the model
found nothing to answer in (see ``classifier``): an owner who swears about a leak still has
a leak.

Pure: normalised text in (simplified, lower case), the insulting word out.
"""

from __future__ import annotations

import re

_INSULT = re.compile(
    r"傻逼|傻b|傻比|傻屄|煞笔|沙比|傻叉|傻x|傻缺|傻帽|二逼|(?<![a-z0-9])sb(?![a-z0-9])|"
    r"脑残|智障|弱智|白痴|蠢货|蠢猪|猪脑子?|没脑子|脑子进水|脑子有病|有病吧|"
    r"贱人|贱货|贱种|贱骨头|下贱|野种|杂种|畜生|畜牲|禽兽不如|人渣|败类|狗东西|狗日|"
    r"狗娘养|狗杂种|狗腿子|走狗|舔狗|双标狗|狗都不|婊子|绿茶婊|死全家|全家死|去死吧|"
    r"你去死|怎么不去死|滚粗|滚蛋|滚犊子|给我滚|你妈(?:的|逼|死)|尼玛|泥马|"
    r"(?<![a-z])(?:nmsl|cnm|wcnm|rnm|tmd|mdzz)(?![a-z])|他妈的|操你|草你|日你|"
    r"废物|窝囊废|杠精|喷子|键盘侠|跳梁小丑|(?:你|你们|就是|真是|纯纯|一群|这群)(?:个|的)?小丑|"
    r"王八蛋|龟孙|不要脸|恶心的东西|"
    r"孝子贤孙|没妈|没爹|你爹我|叫爹|找骂|"
    # dialect and slang
    r"狗逼|傻狗|装逼|瓜娃子|(?<!西)(?<!冬)瓜皮|憨批|哈批|戆大|死扑街|痴线|食屎|吃屎|屌你|丢你老母|"
    r"白眼狼|丑八怪|死胖子|猪狗不如|骚货|老不死|老东西|老畜生|死老头|巨婴|"
    # the slurs of gender and culture wars, and of nations and races
    r"田园女权|普信男|直男癌|妈宝男|捞女|蝈蝻|娘炮|死基佬|渣男|渣女|"
    r"黑鬼|小鬼子|日本鬼子|阿三|尼哥|支那|汉奸|卖国贼"
)


def insulting_word(text: str) -> str | None:
    """The first insulting word in ``text``, or None."""
    found = _INSULT.search(text)
    return found.group(0) if found else None

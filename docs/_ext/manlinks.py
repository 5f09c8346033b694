"""Link every mention of a man page, such as ``epoll_ctl(2)`` or ``epoll(7)``, to man7.org.

Docstrings and pages name man pages the way the pages name each other; this transform turns
each such mention in running text (not in code) into a link, using Sphinx's ``manpages_url``.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

#: A man page mention: a name of the pages these documents cite, then (section).
MENTION = re.compile(
    r"\b((?:epoll|epoll_create1?|epoll_ctl|epoll_wait|epoll_pwait2?|eventfd|signalfd|timerfd_create"
    r"|poll|ppoll|select|pselect|signal|sigprocmask|pthread_sigmask|syscall|ioctl|dup|dup2|close"
    r"|fork|execve|fcntl|proc|socket|pipe|recv|send|accept|open|read|write)\((\d)\))"
)


class ManPageLinks(SphinxTransform):
    default_priority = 500

    def apply(self, **kwargs: Any) -> None:
        url = self.config.manpages_url
        for text in list(self.document.findall(nodes.Text)):
            parent = text.parent
            skipped = (nodes.literal, nodes.literal_block, nodes.reference, nodes.title)
            if isinstance(parent, skipped):
                continue
            if isinstance(parent, nodes.FixedTextElement) or not MENTION.search(text):
                continue
            pieces: list[nodes.Node] = []
            last = 0
            source = str(text)
            for m in MENTION.finditer(source):
                pieces.append(nodes.Text(source[last : m.start()]))
                page, section = m.group(1).split("(")[0], m.group(2)
                target = url.format(page=page, section=section)
                pieces.append(nodes.reference("", m.group(1), refuri=target, internal=False))
                last = m.end()
            pieces.append(nodes.Text(source[last:]))
            parent.replace(text, pieces)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(ManPageLinks)
    return {"parallel_read_safe": True}

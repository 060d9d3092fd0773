










Push <RETURN>
Soft scroll down region [12..13] size 2 Line 29











cursor=13,11 visible=1 alt=0 region=11-12 origin=1 wrap=1 insert=0 ckm=0 kp=0 mouse=00000

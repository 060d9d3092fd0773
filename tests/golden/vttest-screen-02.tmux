      *     *     *     *     *     *     *     *     *     *     *     *     *
      *     *     *     *     *     *     *     *     *     *     *     *     *

Test of TAB setting/resetting. These two lines
should look the same. Push <RETURN>



















cursor=35,4 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
